package dev.cloudtwin.msk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;
import org.apache.kafka.common.errors.SaslAuthenticationException;

/**
 * The broker side of the AWS_MSK_IAM mechanism (aws-msk-iam-auth): one client message, a JSON object of the
 * signed request's fields; one server answer, {"version", "request-id"}, which the client library expects.
 */
final class AwsMskIamSaslServer implements SaslServer {
    static final String MECHANISM = "AWS_MSK_IAM";
    static final String VERSION = "2020_10_22";
    private static final ObjectMapper JSON = new ObjectMapper();

    private String principal;

    @Override
    public String getMechanismName() {
        return MECHANISM;
    }

    @Override
    public byte[] evaluateResponse(byte[] response) throws SaslException {
        if (principal != null) {
            throw new SaslException("AWS_MSK_IAM takes a single client message");
        }
        JsonNode payload;
        try {
            payload = JSON.readTree(response);
        } catch (IOException e) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: the client message is not JSON");
        }
        if (payload == null || !payload.isObject()) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: the client message is not a JSON object");
        }
        Map<String, String> fields = new HashMap<>();
        for (Map.Entry<String, JsonNode> field : payload.properties()) {
            fields.put(field.getKey(), field.getValue().isTextual() ? field.getValue().asText() : null);
        }
        if (!VERSION.equals(fields.get("version"))) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: unsupported payload version " + fields.get("version"));
        }
        if (fields.get("host") == null) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: the signed request names no host");
        }
        try {
            principal = SignedConnectRequest.check(fields, Instant.now()).principalName();
        } catch (SignedConnectRequest.InvalidRequest e) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: " + e.getMessage());
        }
        String answer = JSON.createObjectNode()
            .put("version", VERSION)
            .put("request-id", UUID.randomUUID().toString())
            .toString();
        return answer.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean isComplete() {
        return principal != null;
    }

    @Override
    public String getAuthorizationID() {
        if (principal == null) {
            throw new IllegalStateException("AWS_MSK_IAM authentication has not completed");
        }
        return principal;
    }

    @Override
    public byte[] unwrap(byte[] incoming, int offset, int len) {
        throw new IllegalStateException("AWS_MSK_IAM has no security layer");
    }

    @Override
    public byte[] wrap(byte[] outgoing, int offset, int len) {
        throw new IllegalStateException("AWS_MSK_IAM has no security layer");
    }

    @Override
    public Object getNegotiatedProperty(String propName) {
        return null;
    }

    @Override
    public void dispose() {}
}
