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
        return buildPath(
            leaf: certificates[0], candidates: Array(certificates.dropFirst()), anchors: trustAnchors, policy: policy,
            time: time)
    }

    // MARK: - Building the path

    /// Leaf first, anchor last. Each step takes an issuer from the anchors first, then from the
    /// certificates the server sent (each used once), matched on the encoded issuer name and,
    /// when both carry one, on the key identifier. A dead end backtracks to the next candidate
    /// (a cross-signed CA sent twice, one copy under a root the device does not trust).
    ///
    /// Two rules keep every link one that wolfSSL verified: wolfSSL checks the sent certificates
    /// from the last to the first, each against what it trusts at that moment, so a sent issuer
    /// must come *after* its child in the list; and the candidates for one issuer must all carry
    /// the same public key, so whichever of them wolfSSL used, the signature it verified is the
    /// one this path relies on. A chain that breaks either is refused as `unknownCA`.
    ///
    /// Returns nil as soon as one complete path passes every rule. Otherwise: the verdict on the
    /// first complete path found (the one a reader of the chain would take), or, when no path
    /// reaches an anchor, the dead end that got furthest.
    static func buildPath(
        leaf: X509Certificate, candidates: [X509Certificate], anchors: [X509Certificate],
        policy: ServerCertificatePolicy, time: WallTime
    ) -> TCULinkError? {
        var search = PathSearch(candidates: candidates, anchors: anchors, policy: policy, time: time)
        var path = [leaf]
        if search.extend(&path, childPosition: -1) { return nil }
        return search.firstPathFailure ?? search.deadEnd ?? TCULinkError(.unknownCA, certificateDepth: 0)
    }

    /// A depth-first search over the candidate issuers that stops at the first complete path
    /// every rule accepts; a path that breaks a rule is set aside for the next candidate.
    private struct PathSearch {
        let candidates: [X509Certificate]
        let anchors: [X509Certificate]
        let policy: ServerCertificatePolicy
        let time: WallTime
        var used: [Bool]
        /// Steps taken and complete paths checked, bounded so that a hostile chain cannot make the
        /// search (and the name-constraint work each check does) explode.
        var steps = 0
        var pathsChecked = 0
        /// The verdict on the first complete path: what is reported when no path passes.
        var firstPathFailure: TCULinkError?
        /// The deepest dead end, when no complete path was found at all.
        var deadEnd: TCULinkError?

        init(candidates: [X509Certificate], anchors: [X509Certificate], policy: ServerCertificatePolicy, time: WallTime)
        {
            self.candidates = candidates
            self.anchors = anchors
            self.policy = policy
            self.time = time
            self.used = [Bool](repeating: false, count: candidates.count)
        }

        /// Extends `path` (whose last certificate sits at `childPosition` among the candidates, -1
        /// for the leaf) to an anchor through a path every rule accepts; true when it got there.
        mutating func extend(_ path: inout [X509Certificate], childPosition: Int) -> Bool {
            steps += 1
            guard let child = path.last, steps <= 64 else { return false }
            guard keysAgree(for: child) else {
                recordDeadEnd(TCULinkError(.unknownCA, certificateDepth: Int8(clamping: path.count - 1)))
                return false
            }
            for anchor in anchors where PathValidator.issued(child, by: anchor) {
                guard pathsChecked < 4 else { return false }
                pathsChecked += 1
                path.append(anchor)
                guard let failure = PathValidator.check(path, policy: policy, at: time) else { return true }
                if firstPathFailure == nil { firstPathFailure = failure }
                path.removeLast()
            }
            guard path.count <= PathValidator.maximumIntermediates else {
                recordDeadEnd(TCULinkError(.pathLengthExceeded, certificateDepth: Int8(clamping: path.count - 1)))
                return false
            }
            for position in (childPosition + 1)..<max(childPosition + 1, candidates.count)
            where !used[position] && PathValidator.issued(child, by: candidates[position]) {
                used[position] = true
                path.append(candidates[position])
                if extend(&path, childPosition: position) { return true }
                path.removeLast()
                used[position] = false
            }
            recordDeadEnd(TCULinkError(.unknownCA, certificateDepth: Int8(clamping: path.count - 1)))
            return false
        }

        /// Every anchor and sent certificate named as `child`'s issuer has the same key. Compared by
        /// name alone, not key identifiers: wolfSSL hashes an identifier that is not 20 bytes long
        /// before it looks one up, and it may pick a signer by the child's own subjectKeyIdentifier,
        /// so whichever same-named CA it used must carry the key this path relies on (a review found
        /// an expired CA with a 32-byte identifier verifying a leaf the path attributed to another).
        private func keysAgree(for child: X509Certificate) -> Bool {
            var key: [UInt8]? = nil
            for issuer in anchors + candidates where issuer.subjectEncoding == child.issuerEncoding {
                if let key, key != issuer.subjectPublicKeyInfo { return false }
                key = issuer.subjectPublicKeyInfo
            }
            return true
        }

        /// Keeps the deepest dead end: the one that got furthest explains the chain best.
        private mutating func recordDeadEnd(_ error: TCULinkError) {
            if let deadEnd, deadEnd.certificateDepth >= error.certificateDepth { return }
            deadEnd = error
        }
    }

    static func issued(_ child: X509Certificate, by parent: X509Certificate) -> Bool {
        guard child.issuerEncoding == parent.subjectEncoding else { return false }
        if let wanted = child.authorityKeyIdentifier, let offered = parent.subjectKeyIdentifier {
            return wanted == offered
        }
        return true
    }

    // MARK: - The rules, one certificate at a time (RFC 5280 §6.1.3-§6.1.5)

    /// The first rule a complete path (leaf first, anchor last) breaks, from the anchor down.
    static func check(_ path: [X509Certificate], policy: ServerCertificatePolicy, at time: WallTime) -> TCULinkError? {
        for depth in (0..<path.count).reversed() {
            if let failure = check(path, depth: depth, policy: policy, at: time) { return failure }
        }
        return nil
    }

    private static func check(
        _ path: [X509Certificate], depth: Int, policy: ServerCertificatePolicy, at time: WallTime
    ) -> TCULinkError? {
        let certificate = path[depth]
        let anchorDepth = path.count - 1
        let tag = Int8(clamping: depth)
        func fail(_ reason: TCULinkError.Reason) -> TCULinkError { TCULinkError(reason, certificateDepth: tag) }

        if certificate.unsupportedCriticalExtension != nil { return fail(.unsupportedCriticalExtension) }
        if depth < anchorDepth && !certificate.hasConformingSerialNumber { return fail(.certificateMalformed) }
        // §4.2.1.10: name constraints belong in CA certificates only.
        if certificate.nameConstraints != nil && !certificate.isCertificateAuthority {
            return fail(.certificateMalformed)
        }
        // RFC 5280 §4.2.1.10: nameConstraints MUST be critical; a CA that marks it otherwise is
        // telling older verifiers to ignore it.
        if certificate.nameConstraints != nil && !certificate.nameConstraintsCritical {
            return fail(.certificateMalformed)
        }
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
        // RFC 5280 §4.1.2.6: a CA's subject is never empty (its children name it as their issuer).
        if certificate.subjectEncoding.count <= 2 { return TCULinkError(.certificateMalformed, certificateDepth: tag) }
        if isAnchor {
            // A v1 root carries no extensions; a v3 root is held to the CA profile (§4.2.1.9).
            if certificate.version == 3
                && (!certificate.hasBasicConstraints || !certificate.isCertificateAuthority)
            {
                return TCULinkError(.intermediateNotCA, certificateDepth: tag)
            }
            if certificate.hasBasicConstraints && !certificate.basicConstraintsCritical {
                return TCULinkError(.certificateMalformed, certificateDepth: tag)
            }
            if let usage = certificate.keyUsage, usage & X509Certificate.KeyUsageBit.keyCertSign == 0 {
                return TCULinkError(.issuerNotAllowedToSign, certificateDepth: tag)
            }
        } else {
            // RFC 5280 §6.1.4 (k): an intermediate is a v3 certificate with cA set.
            guard certificate.version == 3, certificate.hasBasicConstraints, certificate.isCertificateAuthority else {
                return TCULinkError(.intermediateNotCA, certificateDepth: tag)
            }
            // §4.2.1.9: "Conforming CAs MUST mark the extension as critical" in CA certificates.
            guard certificate.basicConstraintsCritical else {
                return TCULinkError(.certificateMalformed, certificateDepth: tag)
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
        // A CA certificate (or one that may sign certificates, §4.2.1.3) never serves as a TLS
        // server's own certificate (CA/Browser Forum BR §7.1.2.7).
        if leaf.isCertificateAuthority
            || (leaf.keyUsage ?? 0) & X509Certificate.KeyUsageBit.keyCertSign != 0
        {
            return TCULinkError(.serverCertificateIsCA, certificateDepth: 0)
        }
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
