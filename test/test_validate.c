/*
 * test_validate.c - the message rules of kwa_validate.c and the UTF-8
 * helpers under them (kwa_utf8.c, kwa_copy_text), row by row: input ->
 * expected return, kind and field. Limits are in characters, so most
 * tables carry multi-byte rows; byte strings carry their own length so
 * that rows with a NUL or a cut sequence say exactly what is tested.
 */
#include <stdlib.h>

#include "unit.h"
#include "../src/kwa_op.h"

#define B(s) s, sizeof(s) - 1 /* a byte string and its length */

/* The outcome every check row asserts: 0 and nothing filled, or -1 with
 * kind KWA_VALIDATION and the field. A message never repeats the value. */
static void expect(int rc, const kwa_result_t *err, const char *field,
                   const char *value)
{
    if (field == NULL) {
        CHECK_INT(rc, 0);
        CHECK_INT(err->kind, KWA_OK);
        CHECK_STR(err->field, "");
        return;
    }
    CHECK_INT(rc, -1);
    CHECK_INT(err->kind, KWA_VALIDATION);
    CHECK_STR(err->field, field);
    CHECK(err->message[0] != '\0');
    if (value != NULL && strlen(value) >= 3)
        CHECK(strstr(err->message, value) == NULL);
}

/* ---- kwa_utf8_count ---- */

static const struct {
    const char *name;
    const char *s;
    size_t len;
    long want;
} counts[] = {
    {"empty", B(""), 0},
    {"ASCII", B("abc"), 3},
    {"2-byte e-acute", B("\xC3\xA9"), 1},
    {"3-byte euro", B("\xE2\x82\xAC"), 1},
    {"4-byte emoji", B("\xF0\x9F\x98\x80"), 1},
    {"mixed", B("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), 4},
    {"NUL is a character", B("a\0b"), 3},
    {"U+007F", B("\x7F"), 1},
    {"U+0080", B("\xC2\x80"), 1},
    {"U+07FF", B("\xDF\xBF"), 1},
    {"U+0800", B("\xE0\xA0\x80"), 1},
    {"U+D7FF", B("\xED\x9F\xBF"), 1},
    {"U+E000", B("\xEE\x80\x80"), 1},
    {"U+FFFF", B("\xEF\xBF\xBF"), 1},
    {"U+10000", B("\xF0\x90\x80\x80"), 1},
    {"U+10FFFF", B("\xF4\x8F\xBF\xBF"), 1},
    {"overlong NUL C0 80", B("\xC0\x80"), -1},
    {"overlong C1 BF", B("\xC1\xBF"), -1},
    {"overlong 3-byte", B("\xE0\x80\xAF"), -1},
    {"overlong 4-byte", B("\xF0\x80\x80\xAF"), -1},
    {"surrogate U+D800", B("\xED\xA0\x80"), -1},
    {"surrogate U+DFFF", B("\xED\xBF\xBF"), -1},
    {"past U+10FFFF", B("\xF4\x90\x80\x80"), -1},
    {"lead F5", B("\xF5\x80\x80\x80"), -1},
    {"byte FF", B("\xFF"), -1},
    {"lone continuation", B("\x80"), -1},
    {"cut 2-byte at end", B("a\xC3"), -1},
    {"cut 3-byte at end", B("a\xE2\x82"), -1},
    {"cut 4-byte at end", B("\xF0\x9F\x98"), -1},
    {"ASCII where a continuation belongs", B("\xC3" "A"), -1},
    {"invalid after valid text", B("abc\xC3\xA9\xFF"), -1},
};

/* ---- kwa_utf8_prefix ---- */

static const struct {
    const char *name;
    const char *s;
    size_t len, max_chars, want;
} prefixes[] = {
    {"no characters", B("abc"), 0, 0},
    {"fewer than max", B("abc"), 10, 3},
    {"exactly max", B("abc"), 3, 3},
    {"ASCII cut", B("abcdef"), 2, 2},
    {"multi-byte cut", B("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), 2, 3},
    {"multi-byte cut after 3", B("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), 3, 6},
    {"multi-byte whole", B("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), 4, 10},
    {"stops before invalid bytes", B("ab\xFF" "cd"), 10, 2},
    {"stops before a cut sequence", B("ab\xE2\x82"), 10, 2},
    {"empty", B(""), 5, 0},
};

/* ---- kwa_copy_text: "a" e-acute euro emoji is 10 bytes ---- */

#define MIXED "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"

static const struct {
    const char *name;
    size_t cap;
    const char *s;
    size_t len;
    const char *want;
} copies[] = {
    {"fits", 16, B(MIXED), MIXED},
    {"exactly cap - 1 bytes", 11, B(MIXED), MIXED},
    {"one byte short: the emoji goes whole", 10, B(MIXED), "a\xC3\xA9\xE2\x82\xAC"},
    {"cut inside the emoji", 8, B(MIXED), "a\xC3\xA9\xE2\x82\xAC"},
    {"cut before the emoji", 7, B(MIXED), "a\xC3\xA9\xE2\x82\xAC"},
    {"cut inside the euro", 6, B(MIXED), "a\xC3\xA9"},
    {"cut after e-acute", 4, B(MIXED), "a\xC3\xA9"},
    {"cut inside e-acute", 3, B(MIXED), "a"},
    {"room for one byte", 2, B(MIXED), "a"},
    {"room for the NUL only", 1, B(MIXED), ""},
    {"a lone 4-byte character does not fit in 3", 4, B("\xF0\x9F\x98\x80"), ""},
    {"len shorter than the string", 16, "abcdef", 2, "ab"},
    {"empty", 8, B(""), ""},
};

/* ---- kwa_is_phone ---- */

static const struct {
    const char *s;
    int want;
} phones[] = {
    {"+919000000001", 1},
    {"919000000001", 1},
    {"12345678", 1},        /* 8 digits: the fewest */
    {"+123456789012345", 1}, /* 15 digits: the most */
    {"1234567", 0},
    {"+1234567890123456", 0},
    {"+91XX", 0},
    {"", 0},
    {"+", 0},
    {"++919000000001", 0},
    {"+91 9000000001", 0},
    {"+91-9000000001", 0},
    {"919000000001+", 0},
    {"+919000000001\n", 0},
    {"\xD9\xA1\xD9\xA2\xD9\xA3\xD9\xA4\xD9\xA5\xD9\xA6\xD9\xA7\xD9\xA8", 0}, /* Arabic-Indic digits */
    {NULL, 0},
};

/* ---- kwa_check_text ---- */

static const struct {
    const char *name;
    const char *s;
    size_t min, max;
    const char *field; /* NULL: valid */
} texts[] = {
    {"optional and absent", NULL, 0, 10, NULL},
    {"required and absent", NULL, 1, 10, "body"},
    {"optional but empty", "", 0, 10, "body"},
    {"required but empty", "", 1, 10, "body"},
    {"within", "abc", 1, 3, NULL},
    {"one over", "abcd", 1, 3, "body"},
    {"under min", "a", 2, 3, "body"},
    {"at min", "ab", 2, 3, NULL},
    {"3 two-byte characters in 3", "\xC3\xA9\xC3\xA9\xC3\xA9", 1, 3, NULL},
    {"4 euros in 3", "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC", 1, 3, "body"},
    {"3 emoji in 3", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 1, 3, NULL},
    {"invalid UTF-8", "ab\xFF", 1, 10, "body"},
    {"overlong form", "\xC0\xAF", 1, 10, "body"},
    {"surrogate", "\xED\xA0\x80", 1, 10, "body"},
    {"cut sequence", "abc\xE2\x82", 1, 10, "body"},
    {"invalid and optional", "\xFF", 0, 10, "body"},
};

/* ---- kwa_check_url ---- */

static const struct {
    const char *s;
    const char *field;
} urls[] = {
    {"https://example.com", NULL},
    {"http://example.com/path?q=1#top", NULL},
    {"HTTPS://EXAMPLE.COM/", NULL},
    {"https://example.com/caf\xC3\xA9", NULL},
    {"https://example.com:8443/x", NULL},
    {"ftp://x", "url"},
    {"example.com", "url"},
    {"//example.com", "url"},
    {"javascript:alert(1)", "url"},
    {"https://", "url"},
    {"https:///path", "url"},
    {"https://:443/", "url"},
    {"https://@example.com", "url"},
    {"https://?q", "url"},
    {"https://exa mple.com", "url"},
    {"https://example.com/\t", "url"},
    {"https://example.com/\x7F", "url"},
    {"https://example.com/\r\nX: y", "url"},
    {"https://example.com/\xFF", "url"},
    {"", "url"},
    {NULL, "url"},
};

/* ---- kwa_check_flow_id ---- */

static const struct {
    const char *s;
    const char *field;
} flow_ids[] = {
    {"1", NULL},
    {"123456789012345", NULL},
    {"12345678901234567890123456789012", NULL},  /* 32 digits */
    {"123456789012345678901234567890123", "flow_id"}, /* 33 */
    {"12a", "flow_id"},
    {"-1", "flow_id"},
    {" 1", "flow_id"},
    {"1 ", "flow_id"},
    {"1/../2", "flow_id"},
    {"\xD9\xA1", "flow_id"},
    {"", "flow_id"},
    {NULL, "flow_id"},
};

/* ---- kwa_check_recipients ---- */

static const struct {
    const char *s;
    const char *field;
} lists[] = {
    {"+919000000001", NULL},
    {"+919000000001,+919000000002", NULL},
    {"919000000001,+919000000002,12345678", NULL},
    {"+91XX", "messaging_object.to"},
    {"+919000000001,+91XX", "messaging_object.to"},
    {"+919000000001,", "messaging_object.to"},
    {",+919000000001", "messaging_object.to"},
    {"+919000000001,,+919000000002", "messaging_object.to"},
    {"+919000000001, +919000000002", "messaging_object.to"},
    {"+919000000001;+919000000002", "messaging_object.to"},
    {"+9190000000011111111111111111111", "messaging_object.to"}, /* too long for the buffer */
    {"", "messaging_object.to"},
    {NULL, "messaging_object.to"},
};

/* ---- kwa_check_extra_info ---- */

static const struct {
    const char *name;
    kwa_extra_info_t x;
    const char *field;
} extras[] = {
    {"all absent", {NULL, NULL, NULL, NULL}, NULL},
    {"all set", {"r", "r1", "r2", "shopify"}, NULL},
    {"unknown wa_source passes (it becomes api)", {NULL, NULL, NULL, "pigeon"}, NULL},
    {"multi-byte ref", {"caf\xC3\xA9", NULL, NULL, NULL}, NULL},
    {"ref invalid UTF-8", {"a\xFF", NULL, NULL, NULL}, "extra_info.ref"},
    {"ref1 invalid UTF-8", {NULL, "\xC3", NULL, NULL}, "extra_info.ref1"},
    {"ref2 invalid UTF-8", {NULL, NULL, "\xED\xA0\x80", NULL}, "extra_info.ref2"},
    {"wa_source invalid UTF-8", {NULL, NULL, NULL, "\xFE"}, "extra_info.wa_source"},
    {"ref empty", {"", NULL, NULL, NULL}, "extra_info.ref"},
    {"first bad member wins", {"ok", "\xFF", "\xFF", NULL}, "extra_info.ref1"},
};

static void test_extra_info_lengths(void)
{
    kwa_extra_info_t x = {NULL, NULL, NULL, NULL};
    char *s = unit_repeat("\xE2\x82\xAC", 1000);
    kwa_result_t err;

    /* refs are cut later, not refused: any length of valid UTF-8 passes */
    memset(&err, 0, sizeof err);
    x.ref = s;
    UNIT_CASE("ref of 1000 characters");
    expect(kwa_check_extra_info(&err, &x), &err, NULL, NULL);
    x.ref = NULL;
    free(s);

    s = unit_repeat("a", 64);
    memset(&err, 0, sizeof err);
    x.wa_source = s;
    UNIT_CASE("wa_source of 64 characters");
    expect(kwa_check_extra_info(&err, &x), &err, NULL, NULL);
    free(s);

    s = unit_repeat("a", 65);
    memset(&err, 0, sizeof err);
    x.wa_source = s;
    UNIT_CASE("wa_source of 65 characters");
    expect(kwa_check_extra_info(&err, &x), &err, "extra_info.wa_source", NULL);
    free(s);

    memset(&err, 0, sizeof err);
    UNIT_CASE("no extra_info");
    expect(kwa_check_extra_info(&err, NULL), &err, NULL, NULL);
}

static void test_text_lengths(void)
{
    static const struct {
        const char *unit;
        size_t n, max;
        int ok;
    } rows[] = {
        {"a", 4096, 4096, 1},
        {"a", 4097, 4096, 0},
        {"\xE2\x82\xAC", 4096, 4096, 1}, /* 12288 bytes, 4096 characters */
        {"\xE2\x82\xAC", 4097, 4096, 0},
        {"\xF0\x9F\x98\x80", 1024, 1024, 1},
        {"\xF0\x9F\x98\x80", 1025, 1024, 0},
    };
    char name[64];
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *s = unit_repeat(rows[i].unit, rows[i].n);
        kwa_result_t err;

        memset(&err, 0, sizeof err);
        snprintf(name, sizeof name, "%zu x %zu-byte characters, max %zu", rows[i].n,
                 strlen(rows[i].unit), rows[i].max);
        UNIT_CASE(name);
        expect(kwa_check_text(&err, "body", s, 1, rows[i].max), &err,
               rows[i].ok ? NULL : "body", NULL);
        free(s);
    }

    /* a URL past 2000 characters */
    {
        char *path = unit_repeat("a", 2000 - strlen("https://x/"));
        char *url = malloc(strlen(path) + 16);
        kwa_result_t err;

        memset(&err, 0, sizeof err);
        strcpy(url, "https://x/");
        strcat(url, path);
        UNIT_CASE("URL of 2000 characters");
        expect(kwa_check_url(&err, "url", url), &err, NULL, NULL);
        strcat(url, "b");
        memset(&err, 0, sizeof err);
        UNIT_CASE("URL of 2001 characters");
        expect(kwa_check_url(&err, "url", url), &err, "url", NULL);
        free(url);
        free(path);
    }
}

static void test_from(void)
{
    static const kwa_options_t with = {"HXAP16XXXXXX97IN", "A0000000000000000000000000000003",
                                       NULL, "https://api.in.kaleyra.io", "+918000000001",
                                       0, 0, NULL, NULL, 0, 0};
    kwa_options_t without = with;
    kwa_config_t cfg, bare;
    kwa_result_t err;

    without.from = NULL;
    memset(&err, 0, sizeof err);
    if (kwa_config_init(&cfg, &with, &err) != 0 || kwa_config_init(&bare, &without, &err) != 0) {
        fprintf(stderr, "kwa_config_init: %s\n", err.message);
        exit(2);
    }

    UNIT_CASE("from: the client's default");
    memset(&err, 0, sizeof err);
    expect(kwa_check_from(&err, &cfg, NULL), &err, NULL, NULL);
    UNIT_CASE("from: the message's own");
    memset(&err, 0, sizeof err);
    expect(kwa_check_from(&err, &cfg, "+918000000002"), &err, NULL, NULL);
    UNIT_CASE("from: too short");
    memset(&err, 0, sizeof err);
    expect(kwa_check_from(&err, &cfg, "12"), &err, "from", NULL);
    UNIT_CASE("from: letters");
    memset(&err, 0, sizeof err);
    expect(kwa_check_from(&err, &cfg, "+91800000000X"), &err, "from", "+91800000000X");
    UNIT_CASE("from: empty");
    memset(&err, 0, sizeof err);
    expect(kwa_check_from(&err, &cfg, ""), &err, "from", NULL);
    UNIT_CASE("from: neither the client's nor the message's");
    memset(&err, 0, sizeof err);
    expect(kwa_check_from(&err, &bare, NULL), &err, "from", NULL);
    UNIT_CASE("from: only the message's");
    memset(&err, 0, sizeof err);
    expect(kwa_check_from(&err, &bare, "+918000000002"), &err, NULL, NULL);

    kwa_config_free(&cfg);
    kwa_config_free(&bare);
}

/* kwa_check_fixed and kwa_check_member, over members of one object. */
static void test_members(void)
{
    static const struct {
        const char *name;
        const char *json;
        const char *want; /* fixed: the value required; member: NULL */
        size_t min, max;
        const char *field;
    } rows[] = {
        {"fixed: absent", "{}", "whatsapp", 0, 0, NULL},
        {"fixed: equal", "{\"m\":\"whatsapp\"}", "whatsapp", 0, 0, NULL},
        {"fixed: other value", "{\"m\":\"sms\"}", "whatsapp", 0, 0, "o.m"},
        {"fixed: case differs", "{\"m\":\"WhatsApp\"}", "whatsapp", 0, 0, "o.m"},
        {"fixed: a number", "{\"m\":1}", "whatsapp", 0, 0, "o.m"},
        {"fixed: null", "{\"m\":null}", "whatsapp", 0, 0, "o.m"},
        {"fixed: an object", "{\"m\":{}}", "whatsapp", 0, 0, "o.m"},
        {"fixed: another member's name", "{\"M\":\"sms\"}", "whatsapp", 0, 0, NULL},
        {"member: absent", "{}", NULL, 1, 3, NULL},
        {"member: within", "{\"m\":\"abc\"}", NULL, 1, 3, NULL},
        {"member: characters, not bytes", "{\"m\":\"\\u00e9\\u00e9\\u00e9\"}", NULL, 1, 3, NULL},
        {"member: too long", "{\"m\":\"abcd\"}", NULL, 1, 3, "o.m"},
        {"member: empty", "{\"m\":\"\"}", NULL, 1, 3, "o.m"},
        {"member: a number", "{\"m\":3}", NULL, 1, 3, "o.m"},
        {"member: a bool", "{\"m\":true}", NULL, 1, 3, "o.m"},
        {"member: null", "{\"m\":null}", NULL, 1, 3, "o.m"},
        {"member: invalid UTF-8", "{\"m\":\"a\xFF\"}", NULL, 1, 3, "o.m"},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cJSON *obj = cJSON_Parse(rows[i].json);
        kwa_result_t err;
        int rc;

        memset(&err, 0, sizeof err);
        UNIT_CASE(rows[i].name);
        CHECK_NOT_NULL(obj);
        if (obj == NULL)
            continue;
        if (rows[i].want != NULL)
            rc = kwa_check_fixed(&err, obj, "m", "o.m", rows[i].want);
        else
            rc = kwa_check_member(&err, obj, "m", "o.m", rows[i].min, rows[i].max);
        expect(rc, &err, rows[i].field, NULL);
        cJSON_Delete(obj);
    }
}

/* kwa_check_header_field: the frame header of cta_url and flow. */
static void test_header(void)
{
    static const kwa_field_t f = {"header", KWA_FT_TEXT_OR_TABLE, 0, 0, 60, "", kwa_check_header_field,
                                  NULL};
    static const struct {
        const char *name;
        const char *str;  /* a text header */
        const char *json; /* or an object */
        const char *field;
    } rows[] = {
        {"absent", NULL, NULL, NULL},
        {"text", "Offer", NULL, NULL},
        {"text too long", "0123456789012345678901234567890123456789012345678901234567890", NULL,
         "header"},
        {"text empty", "", NULL, "header"},
        {"text invalid UTF-8", "\xFF", NULL, "header"},
        {"object text", NULL, "{\"type\":\"text\",\"text\":\"Hi\"}", NULL},
        {"object image", NULL, "{\"type\":\"image\",\"image\":{\"link\":\"https://x/a.png\"}}", NULL},
        {"object document", NULL, "{\"type\":\"document\",\"document\":{\"id\":\"1\"}}", NULL},
        {"object audio", NULL, "{\"type\":\"audio\",\"audio\":{}}", "header.type"},
        {"object without type", NULL, "{\"text\":\"Hi\"}", "header.type"},
        {"object type not a string", NULL, "{\"type\":1}", "header.type"},
        {"object text without text", NULL, "{\"type\":\"text\"}", "header.text"},
        {"object text not a string", NULL, "{\"type\":\"text\",\"text\":5}", "header.text"},
        {"object text too long", NULL,
         "{\"type\":\"text\",\"text\":\"0123456789012345678901234567890123456789012345678901234567890\"}",
         "header.text"},
        {"object image without image", NULL, "{\"type\":\"image\"}", "header"},
        {"object image not an object", NULL, "{\"type\":\"image\",\"image\":\"x\"}", "header"},
        {"not an object", NULL, "[1]", "header"},
        {"both text and object", "Hi", "{\"type\":\"text\",\"text\":\"Hi\"}", "header"},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cJSON *json = rows[i].json ? cJSON_Parse(rows[i].json) : NULL;
        kwa_value_t v;
        kwa_result_t err;

        memset(&v, 0, sizeof v);
        memset(&err, 0, sizeof err);
        v.present = rows[i].str != NULL || json != NULL;
        v.str = rows[i].str;
        v.json = json;
        UNIT_CASE(rows[i].name);
        expect(kwa_check_header_field(&err, NULL, &f, &v), &err, rows[i].field, NULL);
        cJSON_Delete(json);
    }
}

int main(void)
{
    static const char *const colours[] = {"red", "green", NULL};
    size_t i;
    char buf[16];

    for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        UNIT_CASE(counts[i].name);
        CHECK_INT(kwa_utf8_count(counts[i].s, counts[i].len), counts[i].want);
    }
    for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        UNIT_CASE(prefixes[i].name);
        CHECK_INT(kwa_utf8_prefix(prefixes[i].s, prefixes[i].len, prefixes[i].max_chars),
                  prefixes[i].want);
    }
    for (i = 0; i < sizeof copies / sizeof copies[0]; i++) {
        UNIT_CASE(copies[i].name);
        memset(buf, 'Z', sizeof buf);
        kwa_copy_text(buf, copies[i].cap, copies[i].s, copies[i].len);
        CHECK_STR(buf, copies[i].want);
        CHECK(kwa_utf8_count(buf, strlen(buf)) >= 0);
        CHECK(strlen(buf) < copies[i].cap);
        if (copies[i].cap < sizeof buf) /* nothing written past cap */
            CHECK_INT(buf[copies[i].cap], 'Z');
    }
    UNIT_CASE("copy with cap 0 writes nothing");
    memset(buf, 'Z', sizeof buf);
    kwa_copy_text(buf, 0, "abc", 3);
    CHECK_INT(buf[0], 'Z');

    for (i = 0; i < sizeof phones / sizeof phones[0]; i++) {
        kwa_result_t err;

        memset(&err, 0, sizeof err);
        UNIT_CASE(phones[i].s ? phones[i].s : "(null)");
        CHECK_INT(kwa_is_phone(phones[i].s), phones[i].want);
        expect(kwa_check_phone(&err, "to[3]", phones[i].s), &err,
               phones[i].want ? NULL : "to[3]", phones[i].s);
    }
    for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        kwa_result_t err;

        memset(&err, 0, sizeof err);
        UNIT_CASE(texts[i].name);
        expect(kwa_check_text(&err, "body", texts[i].s, texts[i].min, texts[i].max), &err,
               texts[i].field, texts[i].s);
    }
    test_text_lengths();
    for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        kwa_result_t err;

        memset(&err, 0, sizeof err);
        UNIT_CASE(urls[i].s ? urls[i].s : "(null)");
        expect(kwa_check_url(&err, "url", urls[i].s), &err, urls[i].field, urls[i].s);
    }
    for (i = 0; i < sizeof flow_ids / sizeof flow_ids[0]; i++) {
        kwa_result_t err;

        memset(&err, 0, sizeof err);
        UNIT_CASE(flow_ids[i].s ? flow_ids[i].s : "(null)");
        expect(kwa_check_flow_id(&err, "flow_id", flow_ids[i].s), &err, flow_ids[i].field,
               flow_ids[i].s);
    }
    for (i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        kwa_result_t err;

        memset(&err, 0, sizeof err);
        UNIT_CASE(lists[i].s ? lists[i].s : "(null)");
        expect(kwa_check_recipients(&err, "messaging_object.to", lists[i].s), &err,
               lists[i].field, lists[i].s);
    }
    for (i = 0; i < sizeof extras / sizeof extras[0]; i++) {
        kwa_result_t err;

        memset(&err, 0, sizeof err);
        UNIT_CASE(extras[i].name);
        expect(kwa_check_extra_info(&err, &extras[i].x), &err, extras[i].field, NULL);
    }
    test_extra_info_lengths();
    test_from();
    test_members();
    test_header();

    UNIT_CASE("one_of");
    CHECK_INT(kwa_one_of("red", colours), 1);
    CHECK_INT(kwa_one_of("green", colours), 1);
    CHECK_INT(kwa_one_of("Red", colours), 0);
    CHECK_INT(kwa_one_of("", colours), 0);
    UNIT_CASE("");
    UNIT_DONE();
}
