import Foundation
import TestSupport

/// A program that a build script makes before the tests run (scripts/test builds every artefact
/// first; the tests only run them). Missing or older than the sources it is made from, it is
/// reported as such, with the script that makes it, instead of being rebuilt in the middle of a
/// test run.
enum BuiltArtefact {
    /// Status 0 with the path as output when every file exists and is newer than the core and the
    /// board support sources; status 1 with what to run otherwise.
    static func check(_ relativePaths: [String], builtBy script: String) -> CommandResult {
        let repository = TestPKI.repository
        let newestSource = newestModification(
            under: ["Sources/TCULink", "BoardSupport"].map {
                repository.appendingPathComponent($0).path
            })
        for relative in relativePaths {
            let path = repository.appendingPathComponent(relative).path
            guard let built = modification(path) else {
                return CommandResult(status: 1, output: "\(relative) is missing: run \(script) (scripts/test does)")
            }
            if let newestSource, built < newestSource {
                return CommandResult(
                    status: 1, output: "\(relative) is older than the sources: run \(script) (scripts/test does)")
            }
        }
        return CommandResult(status: 0, output: relativePaths.last ?? "")
    }

    private static func modification(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    private static func newestModification(under folders: [String]) -> Date? {
        var newest: Date? = nil
        for folder in folders {
            guard let walker = FileManager.default.enumerator(atPath: folder) else { continue }
            while let item = walker.nextObject() as? String {
                guard let date = modification(folder + "/" + item) else { continue }
                if newest.map({ date > $0 }) ?? true { newest = date }
            }
        }
        return newest
    }
}
