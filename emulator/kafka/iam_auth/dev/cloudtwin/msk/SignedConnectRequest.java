package dev.cloudtwin.msk;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SigV4-signed kafka-cluster:Connect request both IAM mechanisms carry (AWS_MSK_IAM as JSON fields,
 * OAUTHBEARER as a presigned URL's query). The twin checks its form, action, scope and validity window;
 * it cannot check the signature (it does not hold the secret keys) nor evaluate IAM policies.
 */
final class SignedConnectRequest {
    static final String ACTION = "kafka-cluster:Connect";
    static final String ALGORITHM = "AWS4-HMAC-SHA256";
    // SigV4 presigned requests are valid for at most seven days.
    static final long MAX_EXPIRES_SECONDS = 604_800;
    // A client clock slightly ahead of the broker's is not an error.
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    // The emulator's --account-id, which the broker is started with.
    static final String DEFAULT_ACCOUNT = System.getProperty("cloudtwin.msk.default-account", "000000000000");
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final Pattern CREDENTIAL =
        Pattern.compile("^([A-Za-z0-9]{1,128})/(\\d{8})/([a-z0-9-]+)/kafka-cluster/aws4_request$");
    private static final Pattern SIGNATURE = Pattern.compile("^[0-9a-f]{64}$");

    final String accessKeyId;
    final String region;
    final Instant signedAt;
    final Instant expiresAt;

    private SignedConnectRequest(String accessKeyId, String region, Instant signedAt, Instant expiresAt) {
        this.accessKeyId = accessKeyId;
        this.region = region;
        this.signedAt = signedAt;
        this.expiresAt = expiresAt;
    }

    /** Field names as the query string and the AWS_MSK_IAM payload spell them, case-insensitively. */
    static SignedConnectRequest check(Map<String, String> fields, Instant now) throws InvalidRequest {
        String action = required(fields, "action");
        if (!ACTION.equals(action)) {
            throw new InvalidRequest("the signed action is " + action + ", not " + ACTION);
        }
        String algorithm = required(fields, "x-amz-algorithm");
        if (!ALGORITHM.equals(algorithm)) {
            throw new InvalidRequest("unsupported signing algorithm " + algorithm);
        }
        if (!SIGNATURE.matcher(required(fields, "x-amz-signature")).matches()) {
            throw new InvalidRequest("X-Amz-Signature is not a SigV4 signature (64 hex digits)");
        }
        String credential = required(fields, "x-amz-credential");
        Matcher scope = CREDENTIAL.matcher(credential);
        if (!scope.matches()) {
            throw new InvalidRequest(
                "X-Amz-Credential " + credential + " is not ACCESS_KEY/YYYYMMDD/REGION/kafka-cluster/aws4_request");
        }
        Instant signedAt;
        String date = required(fields, "x-amz-date");
        try {
            signedAt = LocalDateTime.parse(date, AMZ_DATE).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new InvalidRequest("X-Amz-Date " + date + " is not YYYYMMDDTHHMMSSZ");
        }
        if (!date.startsWith(scope.group(2))) {
            throw new InvalidRequest("the credential scope's date " + scope.group(2) + " is not X-Amz-Date's day");
        }
        long expires;
        try {
            expires = Long.parseLong(required(fields, "x-amz-expires"));
        } catch (NumberFormatException e) {
            throw new InvalidRequest("X-Amz-Expires is not a number of seconds");
        }
        if (expires < 1 || expires > MAX_EXPIRES_SECONDS) {
            throw new InvalidRequest("X-Amz-Expires must be 1-" + MAX_EXPIRES_SECONDS + " seconds, not " + expires);
        }
        Instant expiresAt = signedAt.plusSeconds(expires);
        if (signedAt.isAfter(now.plus(CLOCK_SKEW))) {
            throw new InvalidRequest("the request is signed in the future (" + date + ")");
        }
        if (!now.isBefore(expiresAt)) {
            throw new InvalidRequest("the signed request expired at " + expiresAt);
        }
        return new SignedConnectRequest(scope.group(1), scope.group(3), signedAt, expiresAt);
    }

    /** As the emulator's AWS endpoint does: an access key of 12 digits names its account; any other, the default. */
    String account() {
        return accessKeyId.matches("\\d{12}") ? accessKeyId : DEFAULT_ACCOUNT;
    }

    /** The Kafka principal name: account and access key, since the twin knows no IAM user behind a key. */
    String principalName() {
        return account() + "/" + accessKeyId;
    }

    private static String required(Map<String, String> fields, String name) throws InvalidRequest {
        for (Map.Entry<String, String> field : fields.entrySet()) {
            if (field.getKey().equalsIgnoreCase(name) && field.getValue() != null && !field.getValue().isEmpty()) {
                return field.getValue();
            }
        }
        throw new InvalidRequest("the signed request has no " + name);
    }

    static final class InvalidRequest extends Exception {
        InvalidRequest(String message) {
            super(message);
        }
    }
}
