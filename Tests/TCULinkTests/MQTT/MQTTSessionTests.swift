import Testing

@testable import TCULink

/// The MQTT session as call/expect sequences: every broker answer, keep-alive, timeouts, packet ids.
@Suite struct MQTTSessionTests {
    let timing = MQTTSession.Timing(
        keepAliveSeconds: 10, pingResponseTimeout: 2_000, acknowledgementTimeout: 5_000, maximumInFlight: 3)

    /// A session connected at t = 100 (CONNECT sent at 0).
    func connected() -> MQTTSession {
        var session = MQTTSession(timing: timing)
        _ = session.connectRequested(now: 0)
        session.packetSent(now: 0)
        _ = session.received(.connectAcknowledgement(sessionPresent: false, returnCode: 0), now: 100)
        return session
    }

    @Test func connectThenConnackConnects() {
        var session = MQTTSession(timing: timing)
        #expect(session.connectRequested(now: 0) == .sendConnect)
        #expect(session.connectRequested(now: 1) == .none)
        #expect(session.tick(now: 4_999) == .wait(until: 5_000))
        #expect(
            session.received(.connectAcknowledgement(sessionPresent: true, returnCode: 0), now: 10)
                == .reportConnected(sessionPresent: true))
        #expect(session.isConnected)
    }

    @Test func eachConnackRefusalHasItsReason() {
        let expected: [(UInt8, TCULinkError.Reason)] = [
            (1, .mqttIdentifierRejected), (2, .mqttIdentifierRejected), (3, .mqttServerUnavailable),
            (4, .mqttNotAuthorized), (5, .mqttNotAuthorized), (6, .mqttMalformedPacket),
        ]
        for (code, reason) in expected {
            var session = MQTTSession(timing: timing)
            _ = session.connectRequested(now: 0)
            let action = session.received(.connectAcknowledgement(sessionPresent: false, returnCode: code), now: 1)
            #expect(action == .closeConnection(TCULinkError(reason)), "\(code)")
            #expect(session.failure?.libraryCode == Int32(code))
        }
        #expect(!TCULinkError.Reason.mqttServerUnavailable.isPermanent)
        #expect(TCULinkError.Reason.mqttNotAuthorized.isPermanent)
    }

    @Test func aMissingConnackTimesOut() {
        var session = MQTTSession(timing: timing)
        _ = session.connectRequested(now: 0)
        #expect(session.tick(now: 5_000) == .closeConnection(TCULinkError(.mqttAcknowledgementTimeout)))
    }

    @Test func anythingBeforeConnackIsOutOfSequence() {
        var session = MQTTSession(timing: timing)
        _ = session.connectRequested(now: 0)
        #expect(session.received(.pingResponse, now: 1) == .closeConnection(TCULinkError(.mqttUnexpectedPacket)))
        var connected = connected()
        #expect(
            connected.received(.connectAcknowledgement(sessionPresent: false, returnCode: 0), now: 200)
                == .closeConnection(TCULinkError(.mqttUnexpectedPacket)))
    }

    @Test func qos1PublishWaitsForItsPuback() {
        var session = connected()
        #expect(session.publishRequested(qos: .atMostOnce, now: 200) == .sendPublish(packetID: 0))
        #expect(session.publishRequested(qos: .atLeastOnce, now: 200) == .sendPublish(packetID: 1))
        #expect(session.inFlight == [.init(packetID: 1, kind: .publish, deadline: 5_200)])
        #expect(session.received(.publishAcknowledgement(packetID: 9), now: 300) == .none)  // an answer to nothing
        #expect(session.received(.publishAcknowledgement(packetID: 1), now: 300) == .reportPublished(packetID: 1))
        #expect(session.inFlight.isEmpty)
        #expect(
            session.publishRequested(qos: .exactlyOnce, now: 400) == .refuse(TCULinkError(.mqttExactlyOnceUnsupported)))
    }

    @Test func aMissingPubackEndsTheSessionAtItsDeadline() {
        var session = connected()
        _ = session.publishRequested(qos: .atLeastOnce, now: 1_000)
        session.packetSent(now: 1_000)
        #expect(session.tick(now: 5_999) == .wait(until: 6_000))
        #expect(session.tick(now: 6_000) == .closeConnection(TCULinkError(.mqttAcknowledgementTimeout)))
    }

    @Test func inFlightIsBoundedAndPacketIdsSkipThoseInUse() {
        var session = connected()
        #expect(session.publishRequested(qos: .atLeastOnce, now: 0) == .sendPublish(packetID: 1))
        #expect(session.subscriptionRequested(unsubscribe: false, now: 0) == .sendSubscribe(packetID: 2))
        #expect(session.subscriptionRequested(unsubscribe: true, now: 0) == .sendUnsubscribe(packetID: 3))
        #expect(session.publishRequested(qos: .atLeastOnce, now: 0) == .refuse(TCULinkError(.mqttTooManyInFlight)))
        #expect(session.received(.publishAcknowledgement(packetID: 2), now: 1) == .none)  // a SUBSCRIBE's id
        #expect(session.inFlight.count == 3)
        #expect(
            session.received(.subscribeAcknowledgement(packetID: 2, returnCode: 1), now: 1)
                == .reportSubscribed(packetID: 2, granted: .atLeastOnce))
        #expect(session.publishRequested(qos: .atLeastOnce, now: 2) == .sendPublish(packetID: 4))
        _ = session.received(.publishAcknowledgement(packetID: 1), now: 3)
        _ = session.received(.unsubscribeAcknowledgement(packetID: 3), now: 3)
        _ = session.received(.publishAcknowledgement(packetID: 4), now: 3)
        #expect(session.inFlight.isEmpty)
    }

    @Test func packetIdsWrapPast65535AndNeverUseZero() {
        var session = connected()
        var seen = Set<UInt16>()
        for _ in 0..<65_536 {
            guard case .sendPublish(let id) = session.publishRequested(qos: .atLeastOnce, now: 0) else {
                Issue.record("refused")
                return
            }
            #expect(id != 0)
            seen.insert(id)
            _ = session.received(.publishAcknowledgement(packetID: id), now: 0)
        }
        #expect(seen.count == 65_535)
    }

    @Test func aRefusedSubscriptionIsReportedAndTheSessionGoesOn() {
        var session = connected()
        _ = session.subscriptionRequested(unsubscribe: false, now: 0)
        #expect(
            session.received(.subscribeAcknowledgement(packetID: 1, returnCode: 0x80), now: 1)
                == .reportSubscribed(packetID: 1, granted: nil))
        #expect(session.isConnected)
    }

    @Test func keepAlivePingsAnIdleLinkAndFindsADeadOnePromptly() {
        var session = connected()  // last packet sent at 0, keep-alive 10 s
        #expect(session.tick(now: 9_999) == .wait(until: 10_000))
        #expect(session.tick(now: 10_000) == .sendPingRequest)
        session.packetSent(now: 10_000)
        #expect(session.tick(now: 11_000) == .wait(until: 12_000))  // the PINGRESP's deadline
        #expect(session.tick(now: 12_000) == .closeConnection(TCULinkError(.mqttKeepAliveTimeout)))
        // Found dead 12 s after the last packet: keep-alive + the PINGRESP bound, not 1.5 x keep-alive later.
    }

    @Test func aPingrespKeepsTheLinkAlive() {
        var session = connected()
        _ = session.tick(now: 10_000)
        session.packetSent(now: 10_000)
        #expect(session.received(.pingResponse, now: 10_050) == .none)
        #expect(session.tick(now: 12_000) == .wait(until: 20_000))  // the next ping is due 10 s after the last
        session.packetSent(now: 15_000)  // a publish resets it
        #expect(session.tick(now: 20_000) == .wait(until: 25_000))
    }

    @Test func keepAliveZeroNeverPings() {
        var session = MQTTSession(
            timing: .init(keepAliveSeconds: 0, pingResponseTimeout: 1, acknowledgementTimeout: 5, maximumInFlight: 1))
        _ = session.connectRequested(now: 0)
        _ = session.received(.connectAcknowledgement(sessionPresent: false, returnCode: 0), now: 1)
        #expect(session.tick(now: 10_000_000) == .none)
    }

    @Test func incomingQoS1IsAcknowledgedOnlyAfterTheApplicationTookIt() {
        var session = connected()
        let publish = MQTTInboundPublish(
            qos: .atLeastOnce, duplicate: false, retain: false, packetID: 77, topic: 2..<3, payload: 5..<9)
        #expect(session.received(.publish(publish), now: 1) == .deliver(acknowledge: 77))
        #expect(session.applicationTook(packetID: 77) == .sendPublishAcknowledgement(packetID: 77))
        var qos0 = publish
        qos0.qos = .atMostOnce
        #expect(session.received(.publish(qos0), now: 1) == .deliver(acknowledge: nil))
    }

    @Test func disconnectAndFailureClose() {
        var session = connected()
        #expect(session.disconnectRequested() == .sendDisconnectAndClose)
        #expect(session.disconnectRequested() == .none)
        #expect(session.failure == nil)
        #expect(session.publishRequested(qos: .atMostOnce, now: 0) == .refuse(TCULinkError(.invalidState)))

        var failing = connected()
        #expect(failing.failed(TCULinkError(.connectionReset)) == .closeConnection(TCULinkError(.connectionReset)))
        #expect(failing.publishRequested(qos: .atLeastOnce, now: 0) == .refuse(TCULinkError(.connectionReset)))
        #expect(failing.failed(TCULinkError(.ioTimeout)) == .none)
        #expect(failing.received(.pingResponse, now: 0) == .none)
    }
}

extension MQTTSessionTests {
    @Test func aWithdrawnRequestFreesItsPacketId() {
        var session = connected()
        #expect(session.publishRequested(qos: .atLeastOnce, now: 0) == .sendPublish(packetID: 1))
        session.withdrawn(packetID: 1)  // the packet could not be built: nothing waits for a PUBACK
        #expect(session.inFlight.isEmpty)
        #expect(session.tick(now: 1_000_000) == .sendPingRequest)  // no acknowledgement timeout
    }
}

extension MQTTSessionTests {
    @Test func outboxMessagesGoOutAgainWithTheirIdsPastTheInFlightLimit() {
        var session = connected()
        for id: UInt16 in [5, 6, 7, 8] {  // four, with a limit of three: all were sent before
            #expect(session.resendRequested(packetID: id, now: 0) == .sendPublish(packetID: id))
        }
        #expect(session.resendRequested(packetID: 5, now: 0) == .refuse(TCULinkError(.invalidState)))
        #expect(session.publishRequested(qos: .atLeastOnce, now: 0) == .refuse(TCULinkError(.mqttTooManyInFlight)))
        #expect(session.received(.publishAcknowledgement(packetID: 6), now: 1) == .reportPublished(packetID: 6))
        var idle = MQTTSession(timing: timing)
        #expect(idle.resendRequested(packetID: 1, now: 0) == .refuse(TCULinkError(.invalidState)))
    }
}
