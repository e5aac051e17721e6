/*
 * kwa_config.c - checks client options and resolves them into the owned
 * kwa_config_t every request is built from: the base URL (region or
 * override), the SID, the key, the default business number, timeouts,
 * and the messages URL of that number, which every message sent from it
 * borrows (kwa_request.c).
 *
 * Plain http is accepted only for loopback hosts, so a key can never be
 * sent in clear text over a network. URLs with user:password@ are refused
 * because they would carry a secret in a string that gets logged.
 */
#define _DEFAULT_SOURCE /* explicit_bzero, strndup */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kwa_core.h"

static const struct {
    const char *name, *url;
} regions[] = {
    {"in", "https://api.in.kaleyra.io"},
    /* older pages; newer revisions say api.kaleyra.io: base_url for that */
    {"sg", "https://api.ap.kaleyra.io"},
    {"eu", "https://api.eu.kaleyra.io"},
    /* only the newer pages list NA, on .ai (templates-media-read.md, section 7) */
    {"na", "https://api.na.kaleyra.ai"},
};

static int is_alnum_str(const char *s)
{
    for (; *s != '\0'; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
              (*s >= 'A' && *s <= 'Z')))
            return 0;
    return 1;
}

static int check_key(kwa_result_t *err, const char *key)
{
    const unsigned char *p;

    if (key == NULL || *key == '\0')
        return kwa_fail(err, KWA_CONFIG, "api_key", "api_key is required");
    if (strlen(key) > 256)
        return kwa_fail(err, KWA_CONFIG, "api_key", "api_key is longer than 256 bytes");
    /* only ever a header value, but a key holding URL syntax is a sign of
     * a mixed-up option (a URL or path pasted in), so it is refused too */
    for (p = (const unsigned char *)key; *p != '\0'; p++)
        if (*p <= 0x20 || *p >= 0x7F || strchr("/?#%\\", *p) != NULL)
            return kwa_fail(err, KWA_CONFIG, "api_key",
                            "api_key must be printable ASCII without spaces, '/', '?', '#', '%%' or '\\'");
    if (strstr(key, "..") != NULL)
        return kwa_fail(err, KWA_CONFIG, "api_key", "api_key must not contain '..'");
    return 0;
}

/* Is the authority [start, end) a loopback host, with or without a port? */
static int is_loopback(const char *start, const char *end)
{
    size_t n = (size_t)(end - start);
    const char *colon = memchr(start, ':', n);

    if (n >= 5 && memcmp(start, "[::1]", 5) == 0)
        return n == 5 || start[5] == ':';
    if (colon != NULL)
        n = (size_t)(colon - start);
    if (n == 9 && strncasecmp(start, "localhost", 9) == 0)
        return 1;
    return n >= 4 && memcmp(start, "127.", 4) == 0 &&
           strspn(start, "0123456789.") >= n;
}

static int check_base_url(kwa_result_t *err, const char *url)
{
    const char *auth, *end, *p;
    int https = strncasecmp(url, "https://", 8) == 0;

    if (!https && strncasecmp(url, "http://", 7) != 0)
        return kwa_fail(err, KWA_CONFIG, "base_url",
                        "base_url must start with https:// (or http:// for loopback)");
    auth = url + (https ? 8 : 7);
    end = auth + strcspn(auth, "/");
    for (p = url; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7F ||
            strchr("?#\\%", *p) != NULL)
            return kwa_fail(err, KWA_CONFIG, "base_url",
                            "base_url must be a plain URL without spaces, query, fragment or escapes");
    if (end == auth || memchr(auth, '@', (size_t)(end - auth)) != NULL)
        return kwa_fail(err, KWA_CONFIG, "base_url",
                        "base_url needs a host and must not carry credentials");
    if (strstr(end, "/..") != NULL || strstr(end, "/./") != NULL)
        return kwa_fail(err, KWA_CONFIG, "base_url",
                        "base_url must not contain dot segments");
    if (!https && !is_loopback(auth, end))
        return kwa_fail(err, KWA_CONFIG, "base_url",
                        "plain http is allowed only to loopback hosts; use https");
    return 0;
}

static int check_seconds(kwa_result_t *err, const char *field, double v,
                         long dflt_ms, long *out_ms)
{
    if (v == 0) {
        *out_ms = dflt_ms;
        return 0;
    }
    if (!(v > 0 && v <= 86400) || isnan(v))
        return kwa_fail(err, KWA_CONFIG, field,
                        "%s must be a number of seconds above 0 and at most 86400", field);
    *out_ms = (long)(v * 1000.0);
    if (*out_ms < v * 1000.0) /* round up: 0.0001 s must not become 0 */
        (*out_ms)++;
    return 0;
}

static int resolve_base(kwa_result_t *err, const kwa_options_t *o, const char **out)
{
    size_t i;

    if (o->base_url != NULL) {
        *out = o->base_url;
        return check_base_url(err, o->base_url);
    }
    if (o->region == NULL) {
        *out = regions[0].url;
        return 0;
    }
    for (i = 0; i < sizeof regions / sizeof regions[0]; i++)
        if (strcmp(o->region, regions[i].name) == 0) {
            *out = regions[i].url;
            return 0;
        }
    return kwa_fail(err, KWA_CONFIG, "region", "region must be in, sg, eu or na");
}

static char *dup_or_null(const char *s, int *oom)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = strdup(s);
    if (d == NULL)
        *oom = 1;
    return d;
}

char *kwa_config_url(const kwa_config_t *cfg, const char *segment, const char *tail)
{
    size_t base = strlen(cfg->base_url), sid = strlen(cfg->sid), seg = strlen(segment),
           rest = strlen(tail);
    char *url = malloc(base + sid + seg + rest + sizeof "/v2//whatsapp//"), *p = url;

    if (url == NULL)
        return NULL;
    memcpy(p, cfg->base_url, base);
    p += base;
    memcpy(p, "/v2/", 4);
    memcpy(p + 4, cfg->sid, sid);
    p += 4 + sid;
    memcpy(p, "/whatsapp/", 10);
    memcpy(p + 10, segment, seg);
    p += 10 + seg;
    *p++ = '/';
    memcpy(p, tail, rest + 1);
    return url;
}

int kwa_config_init(kwa_config_t *cfg, const kwa_options_t *o, kwa_result_t *err)
{
    const char *base = NULL;
    size_t base_len;
    int oom = 0;

    memset(cfg, 0, sizeof *cfg);
    if (o->sid == NULL || *o->sid == '\0' || strlen(o->sid) > 64 || !is_alnum_str(o->sid))
        return kwa_fail(err, KWA_CONFIG, "sid",
                        "sid is required: 1 to 64 letters and digits");
    if (check_key(err, o->api_key) || resolve_base(err, o, &base))
        return -1;
    if (o->from != NULL && !kwa_is_phone(o->from))
        return kwa_fail(err, KWA_CONFIG, "from",
                        "from must be an E.164 number: optional '+' and 8 to 15 digits");
    if (o->ca_file != NULL && *o->ca_file == '\0')
        return kwa_fail(err, KWA_CONFIG, "ca_file", "ca_file must not be empty");
    if (o->ca_path != NULL && *o->ca_path == '\0')
        return kwa_fail(err, KWA_CONFIG, "ca_path", "ca_path must not be empty");
    if (check_seconds(err, "timeout", o->timeout, 30000, &cfg->timeout_ms) ||
        check_seconds(err, "connect_timeout", o->connect_timeout, 10000,
                      &cfg->connect_timeout_ms))
        return -1;

    if (o->retries > 10)
        return kwa_fail(err, KWA_CONFIG, "retries", "retries must be 0 to 10");
    if (o->concurrency < 0 || o->concurrency > 256)
        return kwa_fail(err, KWA_CONFIG, "concurrency", "concurrency must be 1 to 256");
    cfg->retries = o->retries == 0 ? KWA_DEFAULT_RETRIES : o->retries < 0 ? 0 : o->retries;
    cfg->concurrency = o->concurrency ? (size_t)o->concurrency : KWA_DEFAULT_CONCURRENCY;

    base_len = strlen(base);
    while (base_len > 0 && base[base_len - 1] == '/')
        base_len--;
    cfg->base_url = strndup(base, base_len);
    cfg->sid = dup_or_null(o->sid, &oom);
    cfg->api_key = dup_or_null(o->api_key, &oom);
    cfg->from = dup_or_null(o->from, &oom);
    cfg->ca_file = dup_or_null(o->ca_file, &oom);
    cfg->ca_path = dup_or_null(o->ca_path, &oom);
    if (!oom && cfg->base_url != NULL && cfg->from != NULL) {
        cfg->messages_url = kwa_config_url(cfg, cfg->from, "messages");
        oom = cfg->messages_url == NULL;
    }
    if (oom || cfg->base_url == NULL) {
        kwa_config_free(cfg);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
    return 0;
}

void kwa_config_free(kwa_config_t *cfg)
{
    if (cfg->api_key != NULL) /* scrub the secret before returning memory */
        explicit_bzero(cfg->api_key, strlen(cfg->api_key));
    free(cfg->sid);
    free(cfg->api_key);
    free(cfg->base_url);
    free(cfg->from);
    free(cfg->ca_file);
    free(cfg->ca_path);
    free(cfg->messages_url);
    memset(cfg, 0, sizeof *cfg);
}
