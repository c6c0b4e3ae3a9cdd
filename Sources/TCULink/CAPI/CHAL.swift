import CTCUHAL

// The Swift HAL protocols implemented over a C `tcu_hal` table, so that firmware
// written in C provides the HAL and links the core through tculink.h.

/// `Transport` over the table's transport functions.
public struct CHALTransport: Transport {
    let hal: UnsafePointer<tcu_hal>

    public mutating func connect(host: String, port: UInt16) -> ConnectProgress {
        var name = Array(host.utf8)
        name.append(0)
        let result = name.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                hal.pointee.transport_connect(hal.pointee.context, $0.baseAddress, port)
            }
        }
        return CHALTransport.progress(result)
    }

    public mutating func pollConnect() -> ConnectProgress {
        CHALTransport.progress(hal.pointee.transport_poll_connect(hal.pointee.context))
    }

    public mutating func send(_ bytes: UnsafeRawBufferPointer) -> TransportIO {
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        return CHALTransport.io(hal.pointee.transport_send(hal.pointee.context, base, bytes.count))
    }

    public mutating func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportIO {
        let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let result = hal.pointee.transport_receive(hal.pointee.context, base, buffer.count)
        return result == 0 ? .failed(.other) : CHALTransport.io(result)  // 0 breaks the contract
    }

    public mutating func close() {
        hal.pointee.transport_close(hal.pointee.context)
    }

    public mutating func waitUntilReady(_ interest: ReadinessInterest, timeoutMilliseconds: UInt32) {
        hal.pointee.transport_wait(hal.pointee.context, interest == .readable ? 1 : 0, timeoutMilliseconds)
    }

    static func progress(_ code: Int32) -> ConnectProgress {
        switch code {
        case Int32(TCU_HAL_OK): return .connected
        case Int32(TCU_HAL_IN_PROGRESS): return .inProgress
        default: return .failed(failure(code))
        }
    }

    static func io(_ code: Int32) -> TransportIO {
        if code > 0 { return .transferred(Int(code)) }
        switch code {
        case Int32(TCU_HAL_WOULD_BLOCK): return .wouldBlock
        case Int32(TCU_HAL_CLOSED): return .closed
        default: return .failed(failure(code))
        }
    }

    static func failure(_ code: Int32) -> TransportFailure {
        switch code {
        case Int32(TCU_HAL_ERR_REFUSED): return .refused
        case Int32(TCU_HAL_ERR_RESET): return .reset
        case Int32(TCU_HAL_ERR_UNREACHABLE): return .unreachable
        case Int32(TCU_HAL_ERR_NAME): return .nameResolution
        case Int32(TCU_HAL_ERR_TIMEOUT): return .timedOut
        default: return .other
        }
    }
}

/// `KeyStore` over the table's key-store functions. The certificates are copied once.
public struct CHALKeyStore: KeyStore {
    let hal: UnsafePointer<tcu_hal>
    public let certificateChain: [[UInt8]]
    public let trustAnchors: [[UInt8]]

    init(hal: UnsafePointer<tcu_hal>) {
        self.hal = hal
        self.certificateChain = CHALKeyStore.certificates(hal, set: Int32(TCU_CERTS_DEVICE_CHAIN))
        self.trustAnchors = CHALKeyStore.certificates(hal, set: Int32(TCU_CERTS_TRUST_ANCHORS))
    }

    static func certificates(_ hal: UnsafePointer<tcu_hal>, set: Int32) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var index = 0
        while index < Int(TCULINK_MAX_CERTIFICATES) {  // tculink_config.h: past it, certificates are ignored
            var der: UnsafePointer<UInt8>? = nil
            var length = 0
            guard hal.pointee.keystore_certificate(hal.pointee.context, set, index, &der, &length) == 0, let der,
                length > 0
            else { break }
            result.append(Array(UnsafeBufferPointer(start: der, count: length)))
            index += 1
        }
        return result
    }

    public mutating func sign(
        _ request: SigningRequest, input: UnsafeRawBufferPointer, into signature: UnsafeMutableRawBufferPointer
    ) throws(KeyStoreError) -> Int {
        try CHALKeyStore.sign(request, input: input, into: signature, with: hal.pointee.keystore_sign, hal: hal)
    }

    /// One signature through a HAL signing function (keystore_sign, or keystore_sign_pending for renewal).
    static func sign(
        _ request: SigningRequest, input: UnsafeRawBufferPointer, into signature: UnsafeMutableRawBufferPointer,
        with function: SigningFunction?, hal: UnsafePointer<tcu_hal>
    ) throws(KeyStoreError) -> Int {
        guard let function else { throw .unsupportedRequest }
        var kind = Int32(TCU_SIGN_ECDSA)
        var hash = Int32(TCU_HASH_SHA256)
        switch request {
        case .ecdsa: kind = Int32(TCU_SIGN_ECDSA)
        case .rsaPKCS1v15: kind = Int32(TCU_SIGN_RSA_PKCS1)
        case .rsaPSS(let algorithm):
            kind = Int32(TCU_SIGN_RSA_PSS)
            switch algorithm {
            case .sha256: hash = Int32(TCU_HASH_SHA256)
            case .sha384: hash = Int32(TCU_HASH_SHA384)
            case .sha512: hash = Int32(TCU_HASH_SHA512)
            }
        }
        let result = function(
            hal.pointee.context, kind, hash, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count,
            signature.baseAddress?.assumingMemoryBound(to: UInt8.self), signature.count)
        guard result > 0, Int(result) <= signature.count else { throw .signingFailed(result) }
        return Int(result)
    }

    typealias SigningFunction =
        @convention(c) (
            UnsafeMutableRawPointer?, Int32, Int32, UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?, Int
        ) -> Int32

    public func seal(_ plaintext: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        let hal = self.hal
        let (sealed, result) = SealedBlobCall.run(plaintext, binding: binding, capacity: plaintext.count + sealOverhead)
        {
            hal.pointee.keystore_seal(hal.pointee.context, $0, $1, $2, $3, $4, $5)
        }
        guard result > 0 else { throw CHALKeyStore.sealFailure(result) }
        return sealed
    }

    public func unseal(_ sealed: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        let hal = self.hal
        let (plaintext, result) = SealedBlobCall.run(sealed, binding: binding, capacity: sealed.count) {
            hal.pointee.keystore_unseal(hal.pointee.context, $0, $1, $2, $3, $4, $5)
        }
        guard result >= 0 else { throw CHALKeyStore.sealFailure(result) }
        return plaintext
    }

    static func sealFailure(_ code: Int32) -> KeyStoreError {
        switch code {
        case Int32(TCU_SEAL_ERR_UNSUPPORTED): return .unsupportedRequest
        case Int32(TCU_SEAL_ERR_REJECTED): return .sealedDataRejected
        case Int32(TCU_SEAL_ERR_TOO_SMALL): return .bufferTooSmall
        default: return .keyUnavailable
        }
    }
}

/// `Clock` over the table's clock functions.
public struct CHALClock: Clock {
    let hal: UnsafePointer<tcu_hal>

    public func wallTime() -> WallTime {
        var seconds: Int64 = 0
        return hal.pointee.clock_wall_time(hal.pointee.context, &seconds) == 0 ? .unixSeconds(seconds) : .notSet
    }

    public func monotonicMilliseconds() -> UInt64 {
        hal.pointee.clock_monotonic_ms(hal.pointee.context)
    }
}

/// `PersistentStore` over the table's store functions.
public struct CHALStore: PersistentStore {
    let hal: UnsafePointer<tcu_hal>

    public func read(_ slot: PersistentSlot, into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int? {
        let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let length = hal.pointee.store_read(hal.pointee.context, Int32(slot.rawValue), base, buffer.count)
        if length == -1 { return nil }
        guard length >= 0, Int(length) <= buffer.count else { throw TCULinkError(.storageFailed) }
        return Int(length)
    }

    public mutating func write(_ slot: PersistentSlot, _ bytes: UnsafeRawBufferPointer) throws(TCULinkError) {
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard hal.pointee.store_write(hal.pointee.context, Int32(slot.rawValue), base, bytes.count) == 0 else {
            throw TCULinkError(.storageFailed)
        }
    }

    public mutating func erase(_ slot: PersistentSlot) throws(TCULinkError) {
        guard hal.pointee.store_erase(hal.pointee.context, Int32(slot.rawValue)) == 0 else {
            throw TCULinkError(.storageFailed)
        }
    }
}
