package dev.cloudtwin.msk;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerExtensionsValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallback;

/**
 * Validates the OAUTHBEARER tokens of the MSK signer libraries (aws-msk-iam-sasl-signer-python, -js, -go, -net):
 * a base64url-encoded presigned URL https://kafka.REGION.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-...
 */
public final class MskSignerTokenValidator implements AuthenticateCallbackHandler {
    @Override
    public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> jaasConfigEntries) {}

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        for (Callback callback : callbacks) {
            if (callback instanceof OAuthBearerValidatorCallback) {
                validate((OAuthBearerValidatorCallback) callback);
            } else if (!(callback instanceof OAuthBearerExtensionsValidatorCallback)) {
                // The signers send no SASL extensions; any a client adds are left unvalidated, so Kafka ignores them.
                throw new UnsupportedCallbackException(callback);
            }
        }
    }

    private static void validate(OAuthBearerValidatorCallback callback) {
        String token = callback.tokenValue();
        try {
            URI url = decode(token);
            if (url.getHost() == null || !url.getHost().matches("kafka(-fips)?\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?")) {
                throw new SignedConnectRequest.InvalidRequest("the presigned URL's host is " + url.getHost()
                    + ", not kafka.REGION.amazonaws.com");
            }
            SignedConnectRequest request = SignedConnectRequest.check(query(url), Instant.now());
            callback.token(new SignedToken(token, request));
        } catch (SignedConnectRequest.InvalidRequest e) {
            // The status reaches the client in the failed authentication's message.
            callback.error("invalid_token: " + e.getMessage(), null, null);
        }
    }

    private static URI decode(String token) throws SignedConnectRequest.InvalidRequest {
        try {
            return new URI(new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | java.net.URISyntaxException e) {
            throw new SignedConnectRequest.InvalidRequest("the token is not a base64url-encoded presigned URL");
        }
    }

    private static Map<String, String> query(URI url) throws SignedConnectRequest.InvalidRequest {
        String raw = url.getRawQuery();
        if (raw == null) {
            throw new SignedConnectRequest.InvalidRequest("the presigned URL has no query");
        }
        Map<String, String> fields = new HashMap<>();
        for (String pair : raw.split("&")) {
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            String value = equals < 0 ? "" : pair.substring(equals + 1);
            fields.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return fields;
    }

    @Override
    public void close() {}

    private static final class SignedToken implements OAuthBearerToken {
        private final String value;
        private final SignedConnectRequest request;

        SignedToken(String value, SignedConnectRequest request) {
            this.value = value;
            this.request = request;
        }

        @Override
        public String value() {
            return value;
        }

        @Override
        public Set<String> scope() {
            return Set.of(SignedConnectRequest.ACTION);
        }

        @Override
        public long lifetimeMs() {
            return request.expiresAt.toEpochMilli();
        }

        @Override
        public String principalName() {
            return request.principalName();
        }

        @Override
        public Long startTimeMs() {
            return request.signedAt.toEpochMilli();
        }
    }
}
