package io.fairlane.gateway.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;

/** Request bodies: JSON objects in UTF-8, or the malformed-JSON 400. */
public final class Bodies {

    private Bodies() {
    }

    /** Parses a body that must be a JSON object. */
    public static ObjectNode parse(ByteBuf body) {
        return Fields.parseBody(body);
    }
}
