import Foundation
import TCULink

/// Starts `body` on a thread of its own (1 MiB of stack), inside `group` until it returns: how the
/// fleets run each device, each event loop and the backend subscriber.
func startFleetThread(in group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
    group.enter()
    let thread = Thread {
        body()
        group.leave()
    }
    thread.stackSize = 1 << 20
    thread.start()
}

extension MQTTClient {
    /// A QoS 1 publish of `text` (the fleets' numbered telemetry), its packet id returned.
    func publishQoS1(topic: String, text: String) throws(TCULinkError) -> UInt16 {
        var result: Result<UInt16, TCULinkError> = .success(0)
        Array(text.utf8).withUnsafeBytes { raw in
            do throws(TCULinkError) {
                result = .success(try publish(topic: topic, payload: raw, qos: .atLeastOnce))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }
}
