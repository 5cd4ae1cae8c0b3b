/*
 * codec.h - the V2 encodings of a histogram (docs/hdr.md sections 7-8).
 *
 * Encoded buffers are malloc'd; the caller frees them.
 * hist_encode_compressed: the 0x1c849314 form with zlib at `level` (6 for a
 * single histogram, as Java's encodeIntoCompressedByteBuffer; 9 in logs).
 * hist_decode accepts the compressed and uncompressed V2 forms and
 * initialises h (allocating); errors give -EINVAL/-ENOMEM and a reason.
 */
#ifndef IPCBENCH_HDR_CODEC_H
#define IPCBENCH_HDR_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "harness/hdr/hist.h"

int hist_encode_raw(const struct hist *h, uint8_t **out, size_t *outlen);
int hist_encode_compressed(const struct hist *h, int level, uint8_t **out, size_t *outlen);
int hist_decode(struct hist *h, const uint8_t *buf, size_t len, char *why, size_t whylen);
/* Base64 (standard alphabet, padded, no line breaks) of the compressed form. */
int hist_encode_base64(const struct hist *h, int level, char **out);
int hist_decode_base64(struct hist *h, const char *b64, char *why, size_t whylen);

#endif
