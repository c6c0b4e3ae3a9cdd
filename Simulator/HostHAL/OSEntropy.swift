import CPOSIXKeys
import TCULink

#if canImport(Glibc)
    import Glibc
#endif

/// The HAL entropy source from the kernel (getrandom(2)).
public struct OSEntropy: EntropySource {
    public init() {}

    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) {
        var filled = 0
        while filled < buffer.count {
            let got = tcu_host_getrandom(buffer.baseAddress! + filled, buffer.count - filled)
            if got < 0 {
                if errno == EINTR { continue }
                throw TCULinkError(.entropyFailed)
            }
            filled += got
        }
    }
}
