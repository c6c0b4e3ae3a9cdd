import CWolfSSL
import Crypto
import Foundation

/// The backend's own session tickets, so that a resumed session is tied to the device certificate
/// it was first accepted with.
///
/// TLS 1.3 resumption carries no certificate, and the backend re-judges a resumed session's device
/// (validity now, the CRL now, the registry) before serving it. With wolfSSL's default tickets the
/// only link back to that certificate was wolfSSL's server session cache, which evicts under load:
/// in a 40-device fleet most resumptions were refused (fail closed) and became full handshakes.
/// Here the backend seals each ticket itself (AES-256-GCM under a key made at start) and keeps
/// the certificate under the ticket's authentication tag: a ticket that opens names its
/// certificate, whatever the cache did. A ticket the backend cannot open (another process's key,
/// tampered) is rejected, and the client makes a full handshake.
final class SessionTickets: @unchecked Sendable {
    private let key = SymmetricKey(size: .bits256)
    private let keyName: [UInt8]
    private let lock = NSLock()
    /// Ticket tag → the device certificate (DER) it was issued for; oldest dropped first.
    private var certificates: [[UInt8]: [UInt8]] = [:]
    private var order: [[UInt8]] = []
    private let capacity: Int
    /// Connections being served: the judge of each, and the tag of the ticket it resumed with.
    private var judges: [UnsafeMutableRawPointer: ClientJudge] = [:]
    private var resumedWith: [UnsafeMutableRawPointer: [UInt8]] = [:]

    init(capacity: Int = 50_000) {
        self.capacity = capacity
        var name = [UInt8](repeating: 0, count: Int(WOLFSSL_TICKET_NAME_SZ))
        for index in name.indices { name[index] = UInt8.random(in: 0...255) }
        keyName = name
    }

    /// Makes `context` issue and accept this object's tickets.
    func install(on context: OpaquePointer) {
        _ = wolfSSL_CTX_set_TicketEncCtx(context, Unmanaged.passUnretained(self).toOpaque())
        _ = wolfSSL_CTX_set_TicketEncCb(context, sessionTicketCallback)
    }

    /// Called around each connection's life: tickets issued on it are for `judge`'s certificate.
    func begin(_ session: OpaquePointer, judge: ClientJudge) {
        lock.lock()
        judges[UnsafeMutableRawPointer(session)] = judge
        lock.unlock()
    }

    func end(_ session: OpaquePointer) {
        lock.lock()
        judges[UnsafeMutableRawPointer(session)] = nil
        resumedWith[UnsafeMutableRawPointer(session)] = nil
        lock.unlock()
    }

    /// The certificate a resumed connection's ticket was issued for, or nil (fail closed).
    func certificate(resumedBy session: OpaquePointer) -> [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        guard let tag = resumedWith[UnsafeMutableRawPointer(session)] else { return nil }
        return certificates[tag]
    }

    // MARK: - wolfSSL's callback

    fileprivate func seal(
        _ session: OpaquePointer, name: UnsafeMutablePointer<UInt8>, iv: UnsafeMutablePointer<UInt8>,
        mac: UnsafeMutablePointer<UInt8>, ticket: UnsafeMutablePointer<UInt8>, length: Int
    ) -> Bool {
        let nonce = AES.GCM.Nonce()
        let nonceBytes = Array(nonce)
        name.update(from: keyName, count: keyName.count)
        iv.update(repeating: 0, count: Int(WOLFSSL_TICKET_IV_SZ))
        iv.update(from: nonceBytes, count: nonceBytes.count)
        guard
            let sealed = try? AES.GCM.seal(
                UnsafeBufferPointer(start: ticket, count: length), using: key, nonce: nonce,
                authenticating: keyName + nonceBytes)
        else { return false }
        let tag = Array(sealed.tag)
        let ciphertext = Array(sealed.ciphertext)
        guard ciphertext.count == length else { return false }
        ticket.update(from: ciphertext, count: length)
        mac.update(repeating: 0, count: Int(WOLFSSL_TICKET_MAC_SZ))
        mac.update(from: tag, count: tag.count)

        lock.lock()
        defer { lock.unlock() }
        let pointer = UnsafeMutableRawPointer(session)
        // A full handshake: the certificate just accepted. A resumption: the one its ticket named.
        let leaf = judges[pointer]?.acceptedLeaf ?? resumedWith[pointer].flatMap { certificates[$0] }
        if let leaf {
            if certificates.updateValue(leaf, forKey: tag) == nil { order.append(tag) }
            while order.count > capacity { certificates[order.removeFirst()] = nil }
        }
        return true
    }

    fileprivate func open(
        _ session: OpaquePointer, name: UnsafeMutablePointer<UInt8>, iv: UnsafeMutablePointer<UInt8>,
        mac: UnsafeMutablePointer<UInt8>, ticket: UnsafeMutablePointer<UInt8>, length: Int
    ) -> Bool {
        guard Array(UnsafeBufferPointer(start: name, count: keyName.count)) == keyName else { return false }
        let nonceBytes = Array(UnsafeBufferPointer(start: iv, count: 12))
        let tag = Array(UnsafeBufferPointer(start: mac, count: 16))
        guard let nonce = try? AES.GCM.Nonce(data: nonceBytes),
            let box = try? AES.GCM.SealedBox(
                nonce: nonce, ciphertext: UnsafeBufferPointer(start: ticket, count: length), tag: tag),
            let plain = try? AES.GCM.open(box, using: key, authenticating: keyName + nonceBytes)
        else { return false }
        let opened = Array(plain)
        guard opened.count == length else { return false }
        ticket.update(from: opened, count: length)
        lock.lock()
        resumedWith[UnsafeMutableRawPointer(session)] = tag
        lock.unlock()
        return true
    }
}

/// wolfSSL's SessionTicketEncCb: `enc` 1 seals a ticket in place, 0 opens one.
private let sessionTicketCallback:
    @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?,
        Int32, UnsafeMutablePointer<UInt8>?, Int32, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?
    ) -> Int32 = { session, name, iv, mac, enc, ticket, length, outLength, context in
        guard let session, let name, let iv, let mac, let ticket, let outLength, let context, length > 0 else {
            return Int32(WOLFSSL_TICKET_RET_FATAL.rawValue)
        }
        let tickets = Unmanaged<SessionTickets>.fromOpaque(context).takeUnretainedValue()
        if enc == 1 {
            guard tickets.seal(session, name: name, iv: iv, mac: mac, ticket: ticket, length: Int(length)) else {
                return Int32(WOLFSSL_TICKET_RET_FATAL.rawValue)
            }
            outLength.pointee = length
            return Int32(WOLFSSL_TICKET_RET_OK.rawValue)
        }
        guard tickets.open(session, name: name, iv: iv, mac: mac, ticket: ticket, length: Int(length)) else {
            return Int32(WOLFSSL_TICKET_RET_REJECT.rawValue)  // a full handshake instead
        }
        outLength.pointee = length
        return Int32(WOLFSSL_TICKET_RET_OK.rawValue)
    }
