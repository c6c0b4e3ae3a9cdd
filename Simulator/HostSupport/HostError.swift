import Foundation

/// A problem on the host side (a device's files, the PKI, the backend's registry), with a message
/// that says what to fix. One type for every host tool, so a caller catches one thing and a user
/// always reads a sentence, never a raw framework error.
public struct HostError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension HostError {
    /// `action path: reason`, with the operating system's words for a Foundation or POSIX error
    /// ("cannot create /proc/x: No such file or directory"), never a raw error dump.
    public init(_ action: String, _ path: String, underlying error: any Error) {
        self.init("\(action) \(path): \(HostError.reason(of: error))")
    }

    /// The operating system's words for an error (its POSIX cause when there is one).
    public static func reason(of error: any Error) -> String {
        if let host = error as? HostError { return host.description }
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        if let cause = nsError.userInfo[NSUnderlyingErrorKey] as? any Error {
            let underlying = cause as NSError
            if underlying.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(underlying.code))) }
        }
        return nsError.localizedDescription
    }
}
