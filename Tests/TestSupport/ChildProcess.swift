import Foundation

/// A child process started with posix_spawn: its stdin is a pipe we hold open
/// (s_server quits when stdin reaches EOF), its output goes to a log file, and
/// it is killed and reaped on `stop()`. Foundation's Process could hang in
/// `waitUntilExit` under the test runner; this cannot.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let logFile: String
    private var stdinWriter: Int32
    private var reaped = false
    public private(set) var exitStatus: Int32 = -1

    public init(_ executable: String, _ arguments: [String], logFile: String) throws {
        self.logFile = logFile
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw POSIXError(.EMFILE) }
        let logDescriptor = open(logFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard logDescriptor >= 0 else { throw POSIXError(.EACCES) }
        defer { close(logDescriptor) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
        posix_spawn_file_actions_adddup2(&actions, logDescriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, logDescriptor, 2)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[1])

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, argv, environ)
        close(pipeEnds[0])
        guard status == 0 else {
            close(pipeEnds[1])
            throw POSIXError(POSIXErrorCode(rawValue: status) ?? .ENOENT)
        }
        pid = child
        stdinWriter = pipeEnds[1]
    }

    public var isRunning: Bool {
        if reaped { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            reaped = true
            exitStatus = decode(status)
            return false
        }
        return true
    }

    /// Writes `data` to the child's stdin.
    public func send(_ data: [UInt8]) {
        guard stdinWriter >= 0 else { return }
        _ = data.withUnsafeBytes { write(stdinWriter, $0.baseAddress, $0.count) }
    }

    /// Closes stdin and waits up to `timeout` seconds for the child to exit; kills it after that.
    public func wait(timeout: TimeInterval) -> Int32 {
        closeInput()
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning { stop() }
        return exitStatus
    }

    public func stop() {
        closeInput()
        guard !reaped else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        reaped = true
        exitStatus = decode(status)
    }

    private func closeInput() {
        if stdinWriter >= 0 {
            close(stdinWriter)
            stdinWriter = -1
        }
    }

    private func decode(_ status: Int32) -> Int32 {
        // WIFEXITED / WEXITSTATUS, spelled out (the macros do not import).
        (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    public var output: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    deinit { stop() }
}
