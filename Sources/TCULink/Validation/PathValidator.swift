/// RFC 5280 §6 path validation of a server's certificate chain, the device's own.
///
/// wolfSSL checks the signatures; this decides everything else, the same way in the
/// handshake (wolfSSL's verify callback, once the whole chain has been seen) and offline
/// (`ServerChainVerifier`, `tcu-sim verify-server`). The path is built only from what the
/// server sent and the key store's trust anchors: nothing a context remembers from an
/// earlier connection can stand in for a missing certificate.
///
/// The rules, each with its reference, are listed in docs/certificate-profiles.md. In short,
/// for every certificate from the anchor down: no unknown critical extension, an accepted key
/// and signature algorithm, validity at the device clock, the name constraints of every CA
/// above it; for each CA: basicConstraints cA, keyUsage keyCertSign, pathLenConstraint,
/// extendedKeyUsage (when present) allowing serverAuth; for the leaf: serverAuth, keyUsage
/// digitalSignature (when present), and a subjectAltName naming the host that was dialled.
public enum PathValidator {
    /// The longest path accepted: the leaf, at most this many intermediates, the anchor.
    public static let maximumIntermediates = 6

    /// Returns nil when the chain is accepted, the first rule it breaks otherwise.
    /// `certificateDepth` in the error is the position in the path (0 = leaf; the anchor is last).
    /// - Parameters:
    ///   - presented: the server's certificates as sent, leaf first (DER).
    ///   - trustAnchors: the roots the device trusts.
    public static func validate(
        presented: [[UInt8]], trustAnchors: [X509Certificate], policy: ServerCertificatePolicy, at time: WallTime
    ) -> TCULinkError? {
        guard !presented.isEmpty else { return TCULinkError(.serverSentNoCertificate) }
        var certificates: [X509Certificate] = []
        for (depth, der) in presented.enumerated() {
            guard let certificate = X509Certificate(der: der) else {
                return TCULinkError(.certificateMalformed, certificateDepth: Int8(clamping: depth))
            }
            certificates.append(certificate)
        }
        let path: [X509Certificate]
        switch buildPath(leaf: certificates[0], candidates: Array(certificates.dropFirst()), anchors: trustAnchors) {
        case .success(let built): path = built
        case .failure(let error): return error
        }
        for depth in (0..<path.count).reversed() {
            if let failure = check(path, depth: depth, policy: policy, at: time) { return failure }
        }
        return nil
    }

    // MARK: - Building the path

    /// Leaf first, anchor last. Each step takes an issuer from the anchors first, then from
    /// the certificates the server sent (each used once), matched on the encoded issuer name
    /// and, when both carry one, on the key identifier.
    static func buildPath(
        leaf: X509Certificate, candidates: [X509Certificate], anchors: [X509Certificate]
    ) -> Result<[X509Certificate], TCULinkError> {
        var path = [leaf]
        var used = [Bool](repeating: false, count: candidates.count)
        while let current = path.last {
            for anchor in anchors where issued(current, by: anchor) {
                path.append(anchor)
                return .success(path)
            }
            guard path.count <= maximumIntermediates else {
                return .failure(TCULinkError(.pathLengthExceeded, certificateDepth: Int8(clamping: path.count - 1)))
            }
            var next: Int? = nil
            for index in candidates.indices where !used[index] && issued(current, by: candidates[index]) {
                next = index
                break
            }
            guard let next else { break }
            used[next] = true
            path.append(candidates[next])
        }
        return .failure(TCULinkError(.unknownCA, certificateDepth: Int8(clamping: path.count - 1)))
    }

    static func issued(_ child: X509Certificate, by parent: X509Certificate) -> Bool {
        guard child.issuerEncoding == parent.subjectEncoding else { return false }
        if let wanted = child.authorityKeyIdentifier, let offered = parent.subjectKeyIdentifier {
            return wanted == offered
        }
        return true
    }

    // MARK: - The rules, one certificate at a time (RFC 5280 §6.1.3-§6.1.5)

    private static func check(
        _ path: [X509Certificate], depth: Int, policy: ServerCertificatePolicy, at time: WallTime
    ) -> TCULinkError? {
        let certificate = path[depth]
        let anchorDepth = path.count - 1
        let tag = Int8(clamping: depth)
        func fail(_ reason: TCULinkError.Reason) -> TCULinkError { TCULinkError(reason, certificateDepth: tag) }

        if certificate.unsupportedCriticalExtension != nil { return fail(.unsupportedCriticalExtension) }
        if !policy.algorithms.accepts(certificate.publicKey) { return fail(.weakKey) }
        // The anchor's own self-signature is not part of the path: nothing relies on it.
        if depth < anchorDepth && !policy.algorithms.accepts(certificate.signatureAlgorithm) {
            return fail(.weakSignatureAlgorithm)
        }
        switch time {
        case .notSet:
            if policy.unsetClock == .refuse { return fail(.clockNotSet) }
        case .unixSeconds(let now):
            if now < certificate.notBefore { return fail(.certificateNotYetValid) }
            if now > certificate.notAfter { return fail(.certificateExpired) }
        }
        // Name constraints of every CA above bind the leaf and every CA that is not self-issued.
        if depth == 0 || !certificate.isSelfIssued {
            for ancestor in path[(depth + 1)...] {
                guard let constraints = ancestor.nameConstraints else { continue }
                switch constraints.evaluate(dnsNames: certificate.dnsNames, ipAddresses: certificate.ipAddresses) {
                case .allowed: break
                case .violated: return fail(.nameConstraintViolated)
                case .cannotEvaluate: return fail(.nameConstraintUnsupported)
                }
            }
        }
        if depth == 0 { return checkLeaf(certificate, policy: policy) }
        return checkAuthority(path, depth: depth, isAnchor: depth == anchorDepth)
    }

    /// A certificate that vouches for the one below it.
    private static func checkAuthority(_ path: [X509Certificate], depth: Int, isAnchor: Bool) -> TCULinkError? {
        let certificate = path[depth]
        let tag = Int8(clamping: depth)
        if isAnchor {
            // A v1 root carries no extensions; what a v3 root does carry is honoured.
            if certificate.hasBasicConstraints && !certificate.isCertificateAuthority {
                return TCULinkError(.intermediateNotCA, certificateDepth: tag)
            }
            if let usage = certificate.keyUsage, usage & X509Certificate.KeyUsageBit.keyCertSign == 0 {
                return TCULinkError(.issuerNotAllowedToSign, certificateDepth: tag)
            }
        } else {
            // RFC 5280 §6.1.4 (k): an intermediate is a v3 certificate with cA set.
            guard certificate.version == 3, certificate.hasBasicConstraints, certificate.isCertificateAuthority else {
                return TCULinkError(.intermediateNotCA, certificateDepth: tag)
            }
            // §4.2.1.3: a CA certificate MUST carry keyUsage; §6.1.4 (n): keyCertSign must be set.
            guard let usage = certificate.keyUsage, usage & X509Certificate.KeyUsageBit.keyCertSign != 0 else {
                return TCULinkError(.issuerNotAllowedToSign, certificateDepth: tag)
            }
            // CA/Browser Forum BR §7.1.2.2: an intermediate's EKU, when present, bounds its leaves.
            if certificate.extendedKeyUsage != nil && !certificate.allowsServerAuth {
                return TCULinkError(.intermediateLacksServerAuth, certificateDepth: tag)
            }
        }
        // §6.1.4 (l, m): pathLenConstraint counts the non-self-issued intermediates below; the
        // first one past the limit is the certificate at fault, as RFC 5280 processes the path.
        if let limit = certificate.pathLengthConstraint {
            var below = 0
            for index in (1..<depth).reversed() where !path[index].isSelfIssued {
                below += 1
                if below > limit { return TCULinkError(.pathLengthExceeded, certificateDepth: Int8(clamping: index)) }
            }
        }
        return nil
    }

    private static func checkLeaf(_ leaf: X509Certificate, policy: ServerCertificatePolicy) -> TCULinkError? {
        if leaf.extendedKeyUsage == nil {
            if !policy.allowLeafWithoutExtendedKeyUsage {
                return TCULinkError(.serverCertificateLacksServerAuth, certificateDepth: 0)
            }
        } else if !leaf.allowsServerAuth {
            return TCULinkError(.serverCertificateLacksServerAuth, certificateDepth: 0)
        }
        // RFC 8446 §4.4.2.2: the server signs the handshake, so keyUsage (when present) must allow it.
        if let usage = leaf.keyUsage, usage & X509Certificate.KeyUsageBit.digitalSignature == 0 {
            return TCULinkError(.serverKeyUsageForbidsSigning, certificateDepth: 0)
        }
        if !HostnameMatcher.matches(host: policy.serverName, certificate: leaf) {
            return TCULinkError(.serverNameMismatch, certificateDepth: 0)
        }
        return nil
    }
}
