/// Problems with the device's files on a host, each with a message that says what to fix.
public struct HostError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
