import Foundation
import Logging

/// `tcu-backend serve`'s log: each message on a line of its own, as written, on standard output.
/// The line format (`ACCEPTED device=… `, `REFUSED … reason=WORD`) is the contract scripts and
/// operators read (docs/backend.md), so no timestamp or level is put in front of it.
struct LogLinePrinter: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    init(label: String) {}

    func log(event: LogEvent) {
        FileHandle.standardOutput.write(Data("\(event.message)\n".utf8))
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}
