import CTCUHAL
import Testing

@testable import TCULink

/// tculink_config.h holds every tunable of the C API with its default; the Swift core reads the same
/// macros, so a C team and the Swift side cannot see different defaults.
@Suite struct ConfigHeaderTests {
    @Test func theSwiftDefaultsAreTheHeaders() {
        let timeouts = ConnectionTimeouts()
        #expect(timeouts.connect == UInt32(TCULINK_CONNECT_TIMEOUT_MS))
        #expect(timeouts.handshake == UInt32(TCULINK_HANDSHAKE_TIMEOUT_MS))
        #expect(timeouts.acceptance == UInt32(TCULINK_ACCEPTANCE_TIMEOUT_MS))
        let mqtt = MQTTConfiguration(clientID: "tcu-0001")
        #expect(mqtt.keepAliveSeconds == UInt16(TCULINK_MQTT_KEEP_ALIVE_S))
        #expect(mqtt.maximumInFlight == Int(TCULINK_MQTT_MAX_IN_FLIGHT))
        #expect(mqtt.maximumPacketSize == Int(TCULINK_MQTT_MAX_PACKET_SIZE))
        #expect(mqtt.acknowledgementTimeout == UInt32(TCULINK_MQTT_ACK_TIMEOUT_MS))
        #expect(mqtt.pingResponseTimeout == UInt32(TCULINK_MQTT_PING_TIMEOUT_MS))
        #expect(mqtt.outboxCapacity == Int(TCULINK_MQTT_OUTBOX_CAPACITY))
    }

    /// SavedSession's bound is a constant of its own (Sources/TCULink/Connection); the header documents it.
    @Test func theSavedSessionBoundIsTheHeaders() {
        #expect(SavedSession.maximumSize == Int(TCULINK_SAVED_SESSION_MAX))
    }

    /// tcu_status: a failure is its reason negated, and the new reason for bad arguments is in both.
    @Test func statusesAndReasonsAgree() {
        #expect(TCU_OK == 0 && TCU_IN_PROGRESS == 1 && TCU_CLOSED == 2)
        #expect(
            String(cString: tcu_status_text(-Int32(TCULinkError.Reason.invalidArgument.rawValue))!).contains("argument")
        )
        #expect(String(cString: tcu_status_text(TCU_OK)!) == "ok")
        #expect(TCULinkError.Reason.invalidArgument.rawValue == 69 && TCULinkError.Reason.invalidArgument.isPermanent)
    }
}
