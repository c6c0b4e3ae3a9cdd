/// A problem on the host side (a device's files, the PKI, the backend's registry), with a message
/// that says what to fix. One type for every host tool, so a caller catches one thing and a user
/// always reads a sentence, never a raw framework error.
public struct HostError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
