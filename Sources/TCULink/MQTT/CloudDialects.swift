/// The strings Azure IoT Hub's MQTT endpoint expects of a device that authenticates with an X.509
/// certificate (learn.microsoft.com, "Communicate with an IoT hub using the MQTT protocol"). The
/// device id is the certificate's CN, as the hub requires; there is no password.
public enum AzureIoTHub {
    public static let apiVersion = "2021-04-12"
    /// The hub closes a connection idle for longer than 1,177 s; its SDKs default to 240 s.
    public static let maximumKeepAliveSeconds: UInt16 = 1177
    public static let defaultKeepAliveSeconds: UInt16 = 240

    /// `{hub host}/{device id}/?api-version=2021-04-12`.
    public static func username(hub: String, deviceID: String) -> String {
        hub + "/" + deviceID + "/?api-version=" + apiVersion
    }

    /// The session settings the hub accepts: client id = device id, its username, keep-alive capped.
    public static func configuration(
        hub: String, deviceID: String, keepAliveSeconds: UInt16 = defaultKeepAliveSeconds
    ) -> MQTTConfiguration {
        MQTTConfiguration(
            clientID: deviceID, username: username(hub: hub, deviceID: deviceID), cleanSession: false,
            keepAliveSeconds: min(keepAliveSeconds, maximumKeepAliveSeconds))
    }

    /// `devices/{id}/messages/events/` with the message's application properties as a URL-encoded
    /// property bag (`k1=v1&k2=v2`).
    public static func telemetryTopic(deviceID: String, properties: [(String, String)] = []) -> String {
        var topic = "devices/" + deviceID + "/messages/events/"
        var first = true
        for (name, value) in properties {
            if !first { topic += "&" }
            topic += percentEncoded(name) + "=" + percentEncoded(value)
            first = false
        }
        return topic
    }

    /// Cloud-to-device messages.
    public static func cloudToDeviceFilter(deviceID: String) -> String {
        "devices/" + deviceID + "/messages/devicebound/#"
    }

    /// Direct method calls arrive on `$iothub/methods/POST/{method}/?$rid={request id}`.
    public static let methodRequestFilter = "$iothub/methods/POST/#"

    /// Where the answer to a direct method goes.
    public static func methodResponseTopic(status: Int, requestID: String) -> String {
        "$iothub/methods/res/" + decimal(status) + "/?$rid=" + requestID
    }

    /// The method name and request id of a direct method's topic; nil for another topic.
    public static func methodRequest(topic: String) -> (method: String, requestID: String)? {
        let prefix = "$iothub/methods/POST/"
        let marker = "/?$rid="
        let bytes = Array(topic.utf8)
        let prefixBytes = Array(prefix.utf8)
        guard bytes.count > prefixBytes.count, bytes.starts(with: prefixBytes) else { return nil }
        let rest = Array(bytes[prefixBytes.count...])
        let markerBytes = Array(marker.utf8)
        var index = 0
        while index + markerBytes.count <= rest.count {
            if rest[index..<(index + markerBytes.count)].elementsEqual(markerBytes) {
                guard index > 0, index + markerBytes.count < rest.count else { return nil }
                return (
                    String(decoding: rest[0..<index], as: UTF8.self),
                    String(decoding: rest[(index + markerBytes.count)...], as: UTF8.self)
                )
            }
            index += 1
        }
        return nil
    }

    /// Device twin: responses to GET and PATCH arrive here.
    public static let twinResponseFilter = "$iothub/twin/res/#"

    public static func twinGetTopic(requestID: String) -> String { "$iothub/twin/GET/?$rid=" + requestID }

    /// Reported properties (a JSON document as the payload).
    public static func twinReportedPropertiesTopic(requestID: String) -> String {
        "$iothub/twin/PATCH/properties/reported/?$rid=" + requestID
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            let unreserved =
                (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "~")
            if unreserved {
                bytes.append(byte)
            } else {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// AWS IoT Core: the MQTT client id is the thing's name (its certificate is attached to the thing);
/// no username. Topics are the fleet's own, except the reserved `$aws/…` ones.
public enum AWSIoTCore {
    /// AWS IoT Core allows keep-alive from 30 to 1,200 s.
    public static let maximumKeepAliveSeconds: UInt16 = 1200

    public static func configuration(thingName: String, keepAliveSeconds: UInt16 = 300) -> MQTTConfiguration {
        MQTTConfiguration(
            clientID: thingName, cleanSession: false,
            keepAliveSeconds: max(30, min(keepAliveSeconds, maximumKeepAliveSeconds)))
    }

    /// The thing's classic shadow: reported state goes to `update`, answers come on `update/accepted|rejected`.
    public static func shadowUpdateTopic(thingName: String) -> String { "$aws/things/" + thingName + "/shadow/update" }
}

/// A number in decimal, without string interpolation (which firmware builds avoid).
func decimal(_ value: Int) -> String {
    if value == 0 { return "0" }
    var digits: [UInt8] = []
    var rest = value.magnitude
    while rest > 0 {
        digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
        rest /= 10
    }
    if value < 0 { digits.append(UInt8(ascii: "-")) }
    return String(decoding: digits.reversed(), as: UTF8.self)
}
