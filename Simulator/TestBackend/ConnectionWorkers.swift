import CWolfSSL
import Foundation

/// Threads that serve one connection after another, kept for the next one.
///
/// Debian's wolfSSL keeps its fixed-point ECC tables (FP_ECC) per thread. With a new thread per
/// connection every handshake rebuilt them (most of the server's CPU: scripts/bench's accept
/// rate), and since nothing freed them, each finished thread leaked them (measured: the
/// backend's RSS grew by ~3 MB per connection). A worker that stays keeps its tables warm; up to
/// `maxIdle` idle workers wait `idleSeconds` for work, and a worker that leaves frees its tables
/// first (`wc_ecc_fp_free`). Concurrency itself is bounded by the caller (`maxConnections`).
final class ConnectionWorkers: @unchecked Sendable {
    private let condition = NSCondition()
    /// Jobs handed to workers that are waiting; each was paired with one idle worker.
    private var pending: [@Sendable () -> Void] = []
    /// Waiting workers not yet paired with a job.
    private var idle = 0
    private var stopped = false
    private let maxIdle: Int
    private let idleSeconds: TimeInterval
    private let stackSize: Int

    init(maxIdle: Int = 32, idleSeconds: TimeInterval = 60, stackSize: Int = 1 << 20) {
        self.maxIdle = maxIdle
        self.idleSeconds = idleSeconds
        self.stackSize = stackSize
    }

    /// Runs `job` on a waiting worker, or on a new one when none is free.
    func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        if idle > 0 {
            idle -= 1
            pending.append(job)
            condition.signal()
            condition.unlock()
            return
        }
        condition.unlock()
        let thread = Thread { [self] in work(first: job) }
        thread.stackSize = stackSize
        thread.start()
    }

    /// Lets waiting workers finish (they free their tables); jobs already handed out still run.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func work(first: @escaping @Sendable () -> Void) {
        var job: (@Sendable () -> Void)? = first
        while let current = job {
            current()
            job = nextJob()
        }
        wc_ecc_fp_free()  // this thread's ECC tables: they would outlive it otherwise
    }

    /// Waits for the next job; nil when this worker should leave.
    private func nextJob() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, idle < maxIdle else { return nil }
        idle += 1
        let deadline = Date(timeIntervalSinceNow: idleSeconds)
        while pending.isEmpty && !stopped {
            if !condition.wait(until: deadline) { break }
        }
        if !pending.isEmpty { return pending.removeFirst() }  // paired with us: `idle` already counts it
        idle -= 1
        return nil
    }
}
