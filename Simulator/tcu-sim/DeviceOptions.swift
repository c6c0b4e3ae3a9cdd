import ArgumentParser
import HostHAL

/// Where the device identity comes from: a device folder, or three files.
struct DeviceOptions: ParsableArguments {
    @Option(help: "Folder holding chain.pem, key.pem and trust.pem.")
    var device: String?

    @Option(name: .customLong("cert-chain"), help: "Device certificate chain (PEM or DER), leaf first.")
    var certChain: String?

    @Option(
        help:
            "Device private key (PEM or DER, mode 0600). Development key store: production keys stay in secure hardware."
    )
    var key: String?

    @Option(help: "Trust anchors for the server's certificate (PEM).")
    var trust: String?

    @OptionGroup var token: TokenOptions

    /// True when the key is on a PKCS#11 token.
    var usesToken: Bool { token.module != nil }

    /// The key store on the token, with the chain and trust anchors from files.
    func tokenKeyStore() throws(HostError) -> PKCS11KeyStore {
        let (token, label) = try self.token.open()
        let chain = certChain ?? device.map { $0 + "/chain.pem" }
        let anchors = trust ?? device.map { $0 + "/trust.pem" }
        return try PKCS11KeyStore(token: token, keyLabel: label, chainFile: chain, trustFile: anchors)
    }

    func keyStore() throws(HostError) -> FileKeyStore {
        if let device {
            return try FileKeyStore(
                chainFile: certChain ?? device + "/chain.pem", keyFile: key ?? device + "/key.pem",
                trustFile: trust ?? device + "/trust.pem")
        }
        guard let certChain, let key, let trust else {
            throw HostError("give --device DIR, or all of --cert-chain, --key and --trust")
        }
        return try FileKeyStore(chainFile: certChain, keyFile: key, trustFile: trust)
    }
}

/// A key on a PKCS#11 token. The PIN comes from TCU_PKCS11_PIN or --pin-file, never the command line.
struct TokenOptions: ParsableArguments {
    @Option(name: .customLong("pkcs11-module"), help: "PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so).")
    var module: String?

    @Option(help: "Token label.") var token: String?

    @Option(name: .customLong("key-label"), help: "Label of the device key on the token.") var keyLabel: String?

    @Option(name: .customLong("pin-file"), help: "File holding the user PIN (default: TCU_PKCS11_PIN).") var pinFile:
        String?

    func open() throws(HostError) -> (PKCS11Token, String) {
        guard let module, let token, let keyLabel else {
            throw HostError("a PKCS#11 key needs --pkcs11-module, --token and --key-label")
        }
        return (try PKCS11Token(module: module, tokenLabel: token, pin: try PKCS11Token.pin(file: pinFile)), keyLabel)
    }
}
