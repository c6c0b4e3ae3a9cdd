import Testing

@testable import TCULink

/// The Azure IoT Hub and AWS IoT Core strings against their published formats.
@Suite struct CloudDialectsTests {
    @Test func azureUsernameAndSession() {
        #expect(
            AzureIoTHub.username(hub: "fleet.azure-devices.net", deviceID: "tcu-0001")
                == "fleet.azure-devices.net/tcu-0001/?api-version=2021-04-12")
        let configuration = AzureIoTHub.configuration(
            hub: "fleet.azure-devices.net", deviceID: "tcu-0001", keepAliveSeconds: 5_000)
        #expect(configuration.clientID == "tcu-0001")  // client id = device id = the certificate's CN
        #expect(configuration.keepAliveSeconds == 1177)  // the hub's limit
        #expect(AzureIoTHub.configuration(hub: "h", deviceID: "d").keepAliveSeconds == 240)
    }

    @Test func azureTopics() {
        #expect(AzureIoTHub.telemetryTopic(deviceID: "tcu-0001") == "devices/tcu-0001/messages/events/")
        #expect(
            AzureIoTHub.telemetryTopic(deviceID: "d", properties: [("alert", "true"), ("trip id", "a/b&c")])
                == "devices/d/messages/events/alert=true&trip%20id=a%2Fb%26c")
        #expect(AzureIoTHub.cloudToDeviceFilter(deviceID: "d") == "devices/d/messages/devicebound/#")
        #expect(AzureIoTHub.methodResponseTopic(status: 200, requestID: "7") == "$iothub/methods/res/200/?$rid=7")
        #expect(AzureIoTHub.methodResponseTopic(status: -1, requestID: "x") == "$iothub/methods/res/-1/?$rid=x")
        #expect(AzureIoTHub.twinGetTopic(requestID: "1") == "$iothub/twin/GET/?$rid=1")
        #expect(
            AzureIoTHub.twinReportedPropertiesTopic(requestID: "2")
                == "$iothub/twin/PATCH/properties/reported/?$rid=2")
        for filter in [AzureIoTHub.methodRequestFilter, AzureIoTHub.twinResponseFilter] {
            #expect(throws: Never.self) { try MQTTPacketEncoder.checkTopicFilter(filter) }
        }
    }

    @Test func azureMethodRequestsAreParsed() {
        let request = AzureIoTHub.methodRequest(topic: "$iothub/methods/POST/unlockDoors/?$rid=42")
        #expect(request?.method == "unlockDoors" && request?.requestID == "42")
        #expect(AzureIoTHub.methodRequest(topic: "$iothub/methods/POST//?$rid=42") == nil)
        #expect(AzureIoTHub.methodRequest(topic: "$iothub/methods/POST/x/?$rid=") == nil)
        #expect(AzureIoTHub.methodRequest(topic: "devices/d/messages/devicebound/x") == nil)
    }

    @Test func awsThingNameIsTheClientID() {
        let configuration = AWSIoTCore.configuration(thingName: "tcu-0001", keepAliveSeconds: 5)
        #expect(configuration.clientID == "tcu-0001" && configuration.username == nil)
        #expect(configuration.keepAliveSeconds == 30)
        #expect(AWSIoTCore.shadowUpdateTopic(thingName: "tcu-0001") == "$aws/things/tcu-0001/shadow/update")
    }
}
