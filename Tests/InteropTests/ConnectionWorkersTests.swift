import Foundation
import Testing

@testable import TCUBackend

/// The backend's worker threads: kept between connections (so wolfSSL's per-thread ECC tables
/// stay warm and are not leaked per connection), one per concurrent connection.
@Suite struct ConnectionWorkersTests {
    final class Record: @unchecked Sendable {
        let lock = NSLock()
        var threads: [pthread_t] = []
        func note() {
            lock.lock()
            threads.append(pthread_self())
            lock.unlock()
        }
        var distinct: Int {
            lock.lock()
            defer { lock.unlock() }
            var seen: [pthread_t] = []
            for thread in threads where !seen.contains(where: { pthread_equal($0, thread) != 0 }) {
                seen.append(thread)
            }
            return seen.count
        }
    }

    @Test func sequentialConnectionsReuseOneThread() {
        let workers = ConnectionWorkers()
        defer { workers.stop() }
        let record = Record()
        for _ in 0..<20 {
            let done = DispatchSemaphore(value: 0)
            workers.run {
                record.note()
                done.signal()
            }
            #expect(done.wait(timeout: .now() + 5) == .success)
            usleep(2_000)  // let the worker get back to waiting
        }
        #expect(record.threads.count == 20)
        #expect(record.distinct == 1)
    }

    @Test func concurrentConnectionsGetTheirOwnThreads() {
        let workers = ConnectionWorkers(maxIdle: 2)
        defer { workers.stop() }
        let record = Record()
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<4 {
            workers.run {
                record.note()
                release.wait()  // all four are busy at once
                done.signal()
            }
        }
        usleep(100_000)
        #expect(record.threads.count == 4)
        #expect(record.distinct == 4)
        for _ in 0..<4 { release.signal() }
        for _ in 0..<4 { #expect(done.wait(timeout: .now() + 5) == .success) }
    }

    @Test func jobsHandedOutBeforeStopStillRun() {
        let workers = ConnectionWorkers()
        let done = DispatchSemaphore(value: 0)
        workers.run { done.signal() }
        #expect(done.wait(timeout: .now() + 5) == .success)
        usleep(2_000)
        workers.run { done.signal() }  // goes to the waiting worker
        workers.stop()
        #expect(done.wait(timeout: .now() + 5) == .success)
    }
}
