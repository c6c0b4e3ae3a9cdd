/// EST (RFC 7030) from the device: a PKCS#10 request out, a certs-only PKCS#7 back, over a
/// connection the caller established (mutual TLS with the current certificate for
/// `simplereenroll`). The key never moves: the request was signed inside the key store.
enum ESTClient {
    /// Posts `csr` (DER) to `path` and returns the issued chain, leaf first. Throws `.renewalRefused`
    /// when the server answers other than 200, the answer is not base64 of a certs-only PKCS#7, or its
    /// leaf is not for `expectedKey` (the SubjectPublicKeyInfo the request was made for); or the
    /// connection's failure.
    static func enroll<T: Transport, K: KeyStore, C: Clock>(
        _ client: TLSClient<T, K, C>, csr: [UInt8], host: [UInt8], path: [UInt8], expectedKey: [UInt8],
        deadline: UInt64, maximumResponse: Int
    ) throws(TCULinkError) -> [[UInt8]] {
        let response = try HTTPClientExchange(maximumResponse: maximumResponse).perform(
            client, method: "POST", path: path, host: host,
            headers: [Bytes.of("Content-Type: application/pkcs10"), Bytes.of("Content-Transfer-Encoding: base64")],
            body: Base64.encode(csr), deadline: deadline)
        guard response.status == 200 else { throw TCULinkError(.renewalRefused) }
        let der = Base64.decode(response.body[...])
        guard let der, let chain = PKCS7Certificates.parse(der), let leafDER = chain.first,
            let leaf = X509Certificate(der: leafDER)
        else { throw TCULinkError(.renewalRefused) }
        guard leaf.subjectPublicKeyInfo == expectedKey else { throw TCULinkError(.renewalRefused) }
        return chain
    }

}
