package dev.cloudtwin.msk;

import java.security.Provider;
import java.security.Security;
import java.util.Map;
import javax.security.auth.Subject;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.spi.LoginModule;

/**
 * Named in the IAM listener's JAAS entry for AWS_MSK_IAM. Loading it registers the mechanism's SASL server
 * factory, as Kafka's own PLAIN and SCRAM login modules do for theirs; the broker needs no credentials of its own.
 */
public final class AwsMskIamLoginModule implements LoginModule {
    static {
        Security.addProvider(new SaslProvider());
    }

    @Override
    public void initialize(Subject subject, CallbackHandler handler, Map<String, ?> state, Map<String, ?> options) {}

    @Override
    public boolean login() {
        return true;
    }

    @Override
    public boolean logout() {
        return true;
    }

    @Override
    public boolean commit() {
        return true;
    }

    @Override
    public boolean abort() {
        return false;
    }

    static final class SaslProvider extends Provider {
        SaslProvider() {
            super("cloudtwin AWS_MSK_IAM", "1.0", "SASL/AWS_MSK_IAM server of the cloudtwin MSK twin");
            put("SaslServerFactory." + AwsMskIamSaslServer.MECHANISM, AwsMskIamSaslServerFactory.class.getName());
        }
    }
}
