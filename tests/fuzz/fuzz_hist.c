/*
 * fuzz_hist.c - libFuzzer target: the HdrHistogram V2 decoders (binary,
 * compressed and base64).  A histogram that decodes must answer every
 * query and survive an encode/decode round trip unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hdr/codec.h"
#include "harness/hdr/hist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(struct hist *h)
{
	struct hist back;
	char why[256], *b64 = NULL;
	struct hist_iter it;

	hist_min(h);
	hist_max(h);
	hist_mean(h);
	hist_stddev(h);
	for (double p = 0; p <= 100; p += 12.5)
		hist_value_at_percentile(h, p);
	hist_iter_init(&it, h);
	while (hist_iter_next(&it))
		;
	if (hist_encode_base64(h, 6, &b64) == 0) {
		if (hist_decode_base64(&back, b64, why, sizeof(why)) != 0 || back.total_count != h->total_count)
			abort();
		hist_release(&back);
	}
	free(b64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hist h;
	char why[256], *text;

	if (hist_decode(&h, data, size, why, sizeof(why)) == 0) {
		exercise(&h);
		hist_release(&h);
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (hist_decode_base64(&h, text, why, sizeof(why)) == 0) {
		exercise(&h);
		hist_release(&h);
	}
	free(text);
	return 0;
}
