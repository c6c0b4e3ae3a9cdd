import Testing

@testable import TCULink

@Suite struct ReconnectionTests {
    let policy = ReconnectionPolicy(base: 1_000, cap: 30_000, permanentFailureDelay: 3_600_000)

    @Test func boundsGrowExponentiallyUpToTheCap() {
        #expect((1...7).map { policy.bound(attempt: $0) } == [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000])
        #expect(policy.bound(attempt: 1_000) == 30_000)  // no overflow after many failures
    }

    @Test func fullJitterStaysWithinTheBound() {
        var reconnector = Reconnector(policy: policy)
        let timeout = TCULinkError(.handshakeTimeout)
        #expect(reconnector.failed(timeout, now: 10_000, random: 0) == .retry(at: 10_000))
        #expect(
            reconnector.failed(timeout, now: 10_000, random: UInt32.max)
                == .retry(at: 10_000 + UInt64(UInt32.max % 2_001)))
        for attempt in 3...10 {
            guard case .retry(let at) = reconnector.failed(timeout, now: 0, random: 123_456_789) else {
                Issue.record("expected a retry")
                return
            }
            #expect(at <= UInt64(policy.bound(attempt: attempt)))
        }
        #expect(reconnector.failures == 10)
    }

    @Test func differentRandomWordsSpreadAFleet() {
        var delays = Set<UInt64>()
        for random in stride(from: UInt32(0), to: 1_000_000, by: 7_919) {
            var reconnector = Reconnector(policy: policy)
            _ = reconnector.failed(TCULinkError(.connectionReset), now: 0, random: random)
            if case .retry(let at) = reconnector.failed(
                TCULinkError(.connectionReset), now: 0, random: random &* 2_654_435_761)
            {
                delays.insert(at)
            }
        }
        #expect(delays.count > 50)  // not lock-step
    }

    @Test func permanentFailuresPauseLongAndSayWhy() {
        var reconnector = Reconnector(policy: policy)
        #expect(
            reconnector.failed(TCULinkError(.peerRejectedCertificate, alert: .certificateRevoked), now: 5, random: 0)
                == .pause(until: 3_600_005, reason: .peerRejectedCertificate))
        #expect(
            reconnector.failed(TCULinkError(.unknownCA), now: 0, random: 9)
                == .pause(until: 3_600_000, reason: .unknownCA))
    }

    @Test func aFailureOutsideTheConnectionBacksOffLikeATransientOne() {
        var reconnector = Reconnector(policy: policy)
        _ = reconnector.failed(TCULinkError(.unknownCA), now: 0, random: 0)  // a permanent one counts too
        // full jitter under the second bound (2 s), then the third (4 s): never the permanent pause
        #expect(reconnector.failedTransiently(now: 100, random: 2_000) == .retry(at: 100 + 2_000))
        #expect(reconnector.failedTransiently(now: 100, random: 4_001) == .retry(at: 100))
        #expect(reconnector.failures == 3)
    }

    @Test func successResetsTheBackoff() {
        var reconnector = Reconnector(policy: policy)
        for _ in 0..<5 { _ = reconnector.failed(TCULinkError(.connectionRefused), now: 0, random: UInt32.max) }
        reconnector.succeeded()
        #expect(reconnector.failures == 0)
        #expect(
            reconnector.failed(TCULinkError(.connectionRefused), now: 0, random: UInt32.max)
                == .retry(at: UInt64(UInt32.max % 1_001)))
    }
}

/// A board clock a test sets.
struct FixedClock: Clock {
    var now: WallTime
    func wallTime() -> WallTime { now }
    func monotonicMilliseconds() -> UInt64 { 0 }
}

/// A key store that "seals" by prefixing the binding and inverting the bytes: enough to test
/// what `SavedSession` does with the answers (the real stores are tested in InteropTests).
struct SealingKeyStore: KeyStore {
    let certificateChain: [[UInt8]]
    let trustAnchors: [[UInt8]] = []
    var canSeal = true

    init(leaf: [UInt8]) { certificateChain = [leaf] }

    mutating func sign(
        _ request: SigningRequest, input: UnsafeRawBufferPointer, into signature: UnsafeMutableRawBufferPointer
    ) throws(KeyStoreError) -> Int { throw .keyUnavailable }

    func seal(_ plaintext: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        guard canSeal else { throw .unsupportedRequest }
        return binding + plaintext.map { ~$0 }
    }

    func unseal(_ sealed: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        guard canSeal else { throw .unsupportedRequest }
        guard sealed.count > binding.count, Array(sealed[0..<binding.count]) == binding else {
            throw .sealedDataRejected
        }
        return sealed[binding.count...].map { ~$0 }
    }
}

/// A persistent store in memory.
struct MemoryStore: PersistentStore {
    var slots: [UInt8: [UInt8]] = [:]
    var failWrites = false

    func read(_ slot: PersistentSlot, into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int? {
        guard let bytes = slots[slot.rawValue] else { return nil }
        guard bytes.count <= buffer.count else { throw TCULinkError(.storageFailed) }
        for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        return bytes.count
    }

    mutating func write(_ slot: PersistentSlot, _ bytes: UnsafeRawBufferPointer) throws(TCULinkError) {
        if failWrites { throw TCULinkError(.storageFailed) }
        slots[slot.rawValue] = Array(bytes)
    }

    mutating func erase(_ slot: PersistentSlot) throws(TCULinkError) { slots[slot.rawValue] = nil }
}

@Suite struct TrustedClockTests {
    let floor: Int64 = 1_800_000_000

    @Test func anUnsetRTCIsNotSet() {
        #expect(TrustedClock(base: FixedClock(now: .notSet), floor: floor).wallTime() == .notSet)
    }

    @Test func aClockBeforeTheBuildFloorIsNotSet() {
        // An RTC reset to its default (1970, 2000…) after power loss.
        #expect(TrustedClock(base: FixedClock(now: .unixSeconds(946_684_800)), floor: floor).wallTime() == .notSet)
        #expect(
            TrustedClock(base: FixedClock(now: .unixSeconds(floor)), floor: floor).wallTime() == .unixSeconds(floor))
    }

    @Test func aClockSkewedBackBehindTheLastKnownGoodTimeIsNotSet() {
        let known = floor + 100 * 86_400
        let clock = { (now: Int64) in
            TrustedClock(base: FixedClock(now: .unixSeconds(now)), floor: self.floor, lastKnownGood: known)
        }
        #expect(clock(known - 10 * 86_400).wallTime() == .notSet)
        #expect(clock(known - 3_600).wallTime() == .unixSeconds(known - 3_600))  // within the day's tolerance
        #expect(clock(known + 5).wallTime() == .unixSeconds(known + 5))
    }

    @Test func aClockSkewedForwardStandsAndCertificatesLookExpired() throws {
        let clock = TrustedClock(base: FixedClock(now: .unixSeconds(4_102_444_800)), floor: floor)
        #expect(clock.wallTime() == .unixSeconds(4_102_444_800))
        let policy = ServerCertificatePolicy(serverName: Array("localhost".utf8))
        let chain = [TestPKI.certificate("server/good.leaf.pem"), TestPKI.certificate("server-ca.pem")]
        let anchors = TestPKI.certificates("root.pem").map { X509Certificate(der: $0)! }
        func verdict(_ time: WallTime) -> TCULinkError? {
            PathValidator.validate(presented: chain, trustAnchors: anchors, policy: policy, at: time)
        }
        #expect(verdict(clock.wallTime())?.reason == .certificateExpired)
        let behind = TrustedClock(base: FixedClock(now: .unixSeconds(946_684_800)), floor: floor)
        #expect(verdict(behind.wallTime())?.reason == .clockNotSet)
    }

    @Test func lastKnownGoodTimeOnlyMovesForward() throws {
        var store = MemoryStore()
        #expect(LastKnownGoodTime.load(from: store) == nil)
        try LastKnownGoodTime.record(floor + 10, to: &store)
        try LastKnownGoodTime.record(floor + 5, to: &store)
        #expect(LastKnownGoodTime.load(from: store) == floor + 10)
        try LastKnownGoodTime.record(floor + 20, to: &store)
        #expect(LastKnownGoodTime.load(from: store) == floor + 20)
        store.failWrites = true
        #expect(throws: TCULinkError(.storageFailed)) { try LastKnownGoodTime.record(floor + 30, to: &store) }
        #expect(LastKnownGoodTime.load(from: store) == floor + 20)  // a failed write loses nothing
    }

    @Test func savedSessionsAreSealedForTheDeviceAndRefuseOversize() throws {
        var store = MemoryStore()
        let device = SealingKeyStore(leaf: TestPKI.certificate("device/chain.pem"))
        #expect(SavedSession.load(from: store, keyStore: device) == .empty)
        try SavedSession.save([1, 2, 3], to: &store, keyStore: device)
        #expect(SavedSession.load(from: store, keyStore: device) == .session([1, 2, 3]))
        // The slot holds the format version and the key store's blob, never the clear session.
        let record = try #require(store.slots[PersistentSlot.tlsSession.rawValue])
        #expect(record.first == SavedSession.formatVersion)
        #expect(record.count > 4)
        #expect(throws: TCULinkError(.storageFailed)) {
            try SavedSession.save(
                [UInt8](repeating: 0, count: SavedSession.maximumSize + 1), to: &store, keyStore: device)
        }
    }

    @Test func aSessionSealedForAnotherIdentityIsNotUsed() throws {
        var store = MemoryStore()
        try SavedSession.save([9, 8, 7], to: &store, keyStore: SealingKeyStore(leaf: [0x30, 0x01, 0x01]))
        let other = SealingKeyStore(leaf: [0x30, 0x01, 0x02])  // another certificate: another binding
        let loaded = SavedSession.load(from: store, keyStore: other)
        #expect(loaded == .notUnsealed && loaded.bytes == nil)
        #expect(loaded.note.map { "\($0)" } == "saved session did not unseal for this device: full handshake")
        // A record of an unknown version (an old clear session) is not used either.
        store.slots[PersistentSlot.tlsSession.rawValue] = [1, 9, 8, 7]
        #expect(SavedSession.load(from: store, keyStore: other) == .unusable)
    }

    @Test func aKeyStoreThatCannotSealKeepsNoSession() throws {
        var store = MemoryStore()
        let sealing = SealingKeyStore(leaf: [0x30, 0x01, 0x01])
        try SavedSession.save([9, 8, 7], to: &store, keyStore: sealing)
        var plain = SealingKeyStore(leaf: [0x30, 0x01, 0x01])
        plain.canSeal = false
        #expect(throws: TCULinkError(.keyStoreFailed)) { try SavedSession.save([1], to: &store, keyStore: plain) }
        #expect(store.slots[PersistentSlot.tlsSession.rawValue] == nil, "the older session was erased")
        try SavedSession.save([9, 8, 7], to: &store, keyStore: sealing)
        #expect(SavedSession.load(from: store, keyStore: plain) == .sealingUnsupported)
    }

    @Test func zeroOverwritesInPlace() {
        var secret: [UInt8] = [1, 2, 3, 4]
        SavedSession.zero(&secret)
        #expect(secret == [0, 0, 0, 0])
    }
}
