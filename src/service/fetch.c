/*
 * fetch.c: GET a FHIR query from the EHR's fhirServer with libcurl, for what a CDS Hooks request's prefetch
 * lacks (docs/SERVICE.md "CDS Hooks / CRD"). The server is named by the caller, so the fetch is fenced: https,
 * or plain http only to a loopback host; no redirects; short timeouts; a size cap.
 *
 * Built twice (CMakeLists.txt): into the static library mednec_net (tests), and with MN_FETCH_MODULE=1 as the
 * shared module mednec-fetch.so that the mednec program loads when the server first asks a fhirServer
 * (src/cli/net_module.c), so that no command loads libcurl and its libraries at start. In the module the calls
 * into the rest of mednec go through the program's table (src/cli/net_module.h).
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "service_int.h"

#if MN_FETCH_MODULE
#include "cli/net_module.h"

static const mn_fetch_host *S_host;
#define mn_buf_put S_host->buf_put
#define mn_buf_reset S_host->buf_reset
#endif

#define FETCH_MAX (16u << 20)

mn_status mn_svc_fetch_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? MN_OK : MN_EINTERNAL;
}

void mn_svc_fetch_cleanup(void)
{
	curl_global_cleanup();
}

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
	mn_buf *b = user;
	size_t len = size * n;
	if (b->len + len > FETCH_MAX || mn_buf_put(b, p, len) != 0)
		return 0;  /* too large or out of memory: curl stops with a write error */
	return len;
}

static bool allowed(const char *url)
{
	if (strncmp(url, "https://", 8) == 0)
		return true;
	static const char *const loopback[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};
	for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
		size_t n = strlen(loopback[i]);
		if (strncmp(url, loopback[i], n) == 0 && (url[n] == ':' || url[n] == '/' || url[n] == '\0'))
			return true;
	}
	return false;
}

mn_status mn_svc_fetch(const char *base, const char *query, const char *token, mn_buf *out, char *why, size_t whyn)
{
	size_t nb = strlen(base);
	while (nb && base[nb - 1] == '/')
		nb--;
	char url[4096];
	if ((size_t)snprintf(url, sizeof url, "%.*s/%s", (int)nb, base, query) >= sizeof url) {
		snprintf(why, whyn, "the URL is too long");
		return MN_EIO;
	}
	if (!allowed(url)) {
		snprintf(why, whyn, "fhirServer must be https (plain http only to a loopback address)");
		return MN_EIO;
	}
	CURL *c = curl_easy_init();
	if (!c)
		return MN_ENOMEM;
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/fhir+json");
	char auth[2048];
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
	struct curl_slist *h2 = h ? curl_slist_append(h, auth) : NULL;
	if (!h2) {
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
		return MN_ENOMEM;
	}
	h = h2;
	mn_buf_reset(out);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (out->failed)
		return MN_ENOMEM;
	if (rc != CURLE_OK) {
		snprintf(why, whyn, "%s", rc == CURLE_WRITE_ERROR ? "the answer is larger than 16 MiB" : curl_easy_strerror(rc));
		return MN_EIO;
	}
	if (code != 200) {
		snprintf(why, whyn, "HTTP status %ld", code);
		return MN_EIO;
	}
	return MN_OK;
}

#if MN_FETCH_MODULE
/* The module's one exported symbol (net_module.h); everything else in it is hidden. */
__attribute__((visibility("default"))) const void *mn_fetch_module_v1(const void *host_table);

/* Typeless, as the program calls every module's entry (mn_cli_module_get). */
const void *mn_fetch_module_v1(const void *host_table)
{
	const mn_fetch_host *host = host_table;
	static const mn_fetch_module module = {MN_NET_MODULE_VERSION, mn_svc_fetch_init, mn_svc_fetch_cleanup,
	                                       mn_svc_fetch};
	if (!host || host->version != MN_NET_MODULE_VERSION)
		return NULL;
	S_host = host;
	return &module;
}
#endif
