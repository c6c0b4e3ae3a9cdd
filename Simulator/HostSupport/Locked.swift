#if canImport(Glibc)
    import Glibc
#endif

/// A value the host tools' threads share, behind a pthread mutex.
///
/// Not `Synchronization.Mutex`: on Linux that lock is futex calls inside the standard library, which is not
/// built for ThreadSanitizer, so TSan sees no synchronization and reports every access under the lock as a
/// race (a two-thread counter under `Mutex.withLock` is reported too). pthread's mutex is one TSan
/// intercepts, so `scripts/targets/test-tsan` judges the code behind this lock, not the lock.
public final class Locked<Value> {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

extension Locked: @unchecked Sendable where Value: Sendable {}
