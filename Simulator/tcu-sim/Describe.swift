import HostHAL
import TCULink

/// Human-readable lines for reports and failures.
enum Describe {
    static func error(_ error: any Error) -> String {
        if let error = error as? TCULinkError { return linkError(error) }
        return "\(error)"
    }

    static func linkError(_ error: TCULinkError) -> String {
        var line = "\(error.reason) — \(error.reason.summary)"
        if let alert = error.alert { line += " (alert \(alert.code) \(alert.name))" }
        if error.certificateDepth >= 0 {
            line += error.certificateDepth == 0 ? " [server leaf]" : " [chain depth \(error.certificateDepth)]"
        }
        if let keyStore = error.keyStoreError { line += " [key store: \(keyStore)]" }
        if error.libraryCode != 0 { line += " [wolfSSL \(error.libraryCode)]" }
        return line
    }

    static func report(_ report: ConnectionReport, host: String, port: UInt16) -> String {
        let acceptance: String
        switch report.acceptance {
        case .implicitInTLS12: acceptance = "accepted (TLS 1.2 Finished)"
        case .sessionTicket: acceptance = "accepted (server sent a session ticket)"
        case .applicationData: acceptance = "accepted (server sent data)"
        case .unconfirmed: acceptance = "not yet confirmed by the server"
        }
        return """
            connected:   \(host):\(port)
            protocol:    \(report.protocolVersion)
            cipher:      \(report.cipherSuite)
            server:      \(report.serverCertificate?.subject.text ?? "?")
            client cert: \(acceptance)
            resumed:     \(report.resumed ? "yes (session ticket)" : "no (full handshake)")
            bytes:       \(report.handshakeBytesSent) sent, \(report.handshakeBytesReceived) received until established
            handshake:   \(report.handshakeMilliseconds) ms
            """
    }
}
