"""schemathesis hooks for .ci/schemathesis: decode MessagePack bodies, so /api/records answers in
MessagePack are checked against the document like the JSON ones (decisions.md "Formats": the
decoded value is exactly the JSON body's)."""

import msgpack
import schemathesis


@schemathesis.deserializer("application/msgpack")
def deserialize_msgpack(ctx, response):
    # strict_map_key=False: keys are strings anyway; a non-string key would fail the schema, not
    # the decoder.
    return msgpack.unpackb(response.content, raw=False, strict_map_key=False)
