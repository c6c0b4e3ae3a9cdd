import NIOPosix

/// Runs the device judgement (swift-certificates' `Verifier` is async) on NIO's blocking thread pool instead of
/// Swift's cooperative pool. The cooperative pool has one thread per core, and a host process that embeds the
/// backend (the demo, the tests) may hold those threads in blocking calls: a handshake would then wait for a
/// thread that never comes. The judgement also reads the registry file, which is blocking work anyway.
final class ThreadPoolTaskExecutor: TaskExecutor {
    private let pool: NIOThreadPool

    init(pool: NIOThreadPool) { self.pool = pool }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        pool.submit { _ in job.runSynchronously(on: executor) }
    }
}
