/// A source of unpredictable bytes (the HSM's TRNG on a board, getrandom on a host).
///
/// Used for retry jitter. On a board it also seeds wolfSSL's DRBG through
/// `CUSTOM_RAND_GENERATE_BLOCK` in `user_settings.h`; Debian's wolfSSL seeds itself from the OS.
public protocol EntropySource {
    /// Fills `buffer` entirely with fresh entropy, or fails. Must never return predictable bytes.
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError)
}
