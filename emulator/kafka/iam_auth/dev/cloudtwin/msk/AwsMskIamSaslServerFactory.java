package dev.cloudtwin.msk;

import java.util.Map;
import javax.security.auth.callback.CallbackHandler;
import javax.security.sasl.SaslServer;
import javax.security.sasl.SaslServerFactory;

public final class AwsMskIamSaslServerFactory implements SaslServerFactory {
    @Override
    public SaslServer createSaslServer(
        String mechanism, String protocol, String serverName, Map<String, ?> props, CallbackHandler handler) {
        return AwsMskIamSaslServer.MECHANISM.equals(mechanism) ? new AwsMskIamSaslServer() : null;
    }

    @Override
    public String[] getMechanismNames(Map<String, ?> props) {
        return new String[] {AwsMskIamSaslServer.MECHANISM};
    }
}
