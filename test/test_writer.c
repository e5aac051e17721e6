/*
 * test_writer.c - the JSON writer of request bodies (kwa_writer.c), row by
 * row, against the library it must match byte for byte, cJSON's
 * cJSON_PrintUnformatted:
 *   - strings: every byte below 0x20, quotes, backslash, DEL, '/', valid
 *     UTF-8 of every length passed through, around the 8-byte words the
 *     writer scans; invalid UTF-8 refused (KWA_WRITER_UTF8);
 *   - numbers: integers, -0, around the int limits, fractions that need
 *     %1.17g, huge, tiny, NaN and infinities (null);
 *   - structure: commas, nesting to KWA_MAX_DEPTH and one past it,
 *     unbalanced ends, keys that need escaping, joined strings;
 *   - growth from the smallest start past many reallocations, and the
 *     1 MiB limit (KWA_WRITER_TOO_LONG) for strings and passthrough trees;
 *   - passthrough trees (kwa_writer_json, kwa_writer_json_open with
 *     members added);
 *   - a differential check: generated trees (seeded, so reproducible)
 *     written through the writer's calls, some subtrees passed through,
 *     compared with cJSON_PrintUnformatted of the same tree;
 *   - a writer whose allocation failed: every call does nothing, take
 *     gives NULL (no malloc hook exists in these tests, so the failed
 *     state is set up as kwa_writer_init leaves it).
 */
#include <float.h>
#include <limits.h>
#include <stdint.h>

#include "unit.h"
#include "../src/kwa_writer.h"

/* cJSON's text for item, as a malloc'd string (exits on failure). */
static char *cjson_text(const cJSON *item)
{
    char *s = cJSON_PrintUnformatted(item);

    if (s == NULL) {
        fprintf(stderr, "cJSON_PrintUnformatted failed\n");
        exit(2);
    }
    return s;
}

/* Takes w's text and compares it with want (NULL: take must fail). */
static void check_take(kwa_writer_t *w, const char *want)
{
    size_t len = 0;
    char *got = kwa_writer_take(w, &len);

    if (want == NULL) {
        UNIT_REPORT(got == NULL, "took \"%s\", want a failure", got ? got : "");
    } else {
        CHECK_STR(got, want);
        CHECK_INT(len, strlen(want));
    }
    free(got);
    kwa_writer_free(w);
}

/* ---- strings ---- */

static void string_row(const char *name, const char *s)
{
    cJSON *item = cJSON_CreateString(s);
    char *want = cjson_text(item);
    kwa_writer_t w;

    UNIT_CASE(name);
    kwa_writer_init(&w, 0);
    kwa_writer_string(&w, s);
    check_take(&w, want);
    free(want);
    cJSON_Delete(item);
}

static void test_strings(void)
{
    static const struct {
        const char *name, *s;
    } rows[] = {
        {"empty", ""},
        {"plain", "hello"},
        {"quote", "say \"hi\""},
        {"backslash", "a\\b\\"},
        {"short escapes", "\b\f\n\r\t"},
        {"slash and DEL", "a/b\x7F" "c"},
        {"2-byte UTF-8", "caf\xC3\xA9"},
        {"3-byte UTF-8", "\xE2\x82\xAC 5"},
        {"4-byte UTF-8", "\xF0\x9D\x84\x9E clef"},
        {"UTF-8 across a word", "1234567\xC3\xA9" "89abcdef\xE2\x82\xAC"},
        {"escape at a word end", "1234567\"89abcde\n"},
        {"long plain", "The quick brown fox jumps over the lazy dog, twice: The quick brown fox"},
        {"long with escapes", "line one\nline two\tand \"quoted\" \\ text\x01\x1F end"},
        {"largest code point", "\xF4\x8F\xBF\xBF"},
        {"U+0080 and U+07FF", "\xC2\x80\xDF\xBF"},
        {"U+FFFF", "\xEF\xBF\xBF"},
    };
    char one[4], name[48];
    int c;
    size_t i, pad;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
        string_row(rows[i].name, rows[i].s);
    for (c = 1; c < 0x20; c++) { /* every control byte, alone and in text */
        one[0] = (char)c;
        one[1] = '\0';
        snprintf(name, sizeof name, "control byte 0x%02x", c);
        string_row(name, one);
    }
    for (pad = 0; pad < 17; pad++) { /* each control byte at each offset of a word */
        char s[64];
        memset(s, 'x', pad);
        for (c = 1; c < 0x20; c++) {
            s[pad] = (char)c;
            s[pad + 1] = 'y';
            s[pad + 2] = '\0';
            snprintf(name, sizeof name, "byte 0x%02x after %zu", c, pad);
            string_row(name, s);
        }
    }
}

static void test_invalid_utf8(void)
{
    static const struct {
        const char *name, *s;
    } rows[] = {
        {"lone continuation", "a\x80" "b"},
        {"overlong 2-byte", "\xC0\x80"},
        {"overlong C1", "\xC1\xBF"},
        {"overlong 3-byte", "\xE0\x80\x80"},
        {"surrogate", "\xED\xA0\x80"},
        {"past U+10FFFF", "\xF4\x90\x80\x80"},
        {"F5 lead", "\xF5\x80\x80\x80"},
        {"FF", "\xFF"},
        {"cut 2-byte at the end", "abc\xC3"},
        {"cut 3-byte at the end", "abcdefgh\xE2\x82"},
        {"cut 4-byte", "\xF0\x9D\x84" "x"},
        {"bad byte after plain words", "0123456789abcdef\x80"},
    };
    kwa_writer_t w;
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        UNIT_CASE(rows[i].name);
        kwa_writer_init(&w, 0);
        kwa_writer_object(&w);
        KWA_WKEY(&w, "k");
        kwa_writer_string(&w, rows[i].s);
        kwa_writer_end(&w);
        CHECK_INT(w.error, KWA_WRITER_UTF8);
        check_take(&w, NULL);
        /* as a key too */
        kwa_writer_init(&w, 0);
        kwa_writer_object(&w);
        kwa_writer_key(&w, rows[i].s);
        kwa_writer_bool(&w, 1);
        kwa_writer_end(&w);
        CHECK_INT(w.error, KWA_WRITER_UTF8);
        check_take(&w, NULL);
    }
}

/* ---- numbers ---- */

static void test_numbers(void)
{
    static const double rows[] = {
        0.0, 1.0, -1.0, 42.0, 0.1, 0.5, 1.5, -2.25, 1.0 / 3.0, 2.0 / 3.0,
        0.30000000000000004, 3.0000000000000004, 123456789.123, 19.0760, 72.8777,
        -90.0, 180.0, 1e15, -1e15, 1e16, 1e17, 1e21, 1e300, -1e300, 1e-5, 1e-7,
        1e-300, 5e-324, DBL_MAX, -DBL_MAX, DBL_MIN, DBL_EPSILON,
        2147483647.0, 2147483648.0, -2147483648.0, -2147483649.0, 2147483646.5,
        -2147483647.5, 4294967296.0, 9007199254740993.0, 12345678901234567890.0,
        0.1 + 0.2, 100.0 / 3.0, 1234.5e-10,
    };
    cJSON *item;
    char *want, name[64];
    kwa_writer_t w;
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(name, sizeof name, "number %.17g", rows[i]);
        UNIT_CASE(name);
        item = cJSON_CreateNumber(rows[i]);
        want = cjson_text(item);
        kwa_writer_init(&w, 0);
        kwa_writer_number(&w, rows[i]);
        check_take(&w, want);
        free(want);
        cJSON_Delete(item);
    }
    UNIT_CASE("-0 prints as -0, as cJSON 1.7.15 prints it");
    item = cJSON_CreateNumber(-0.0);
    want = cjson_text(item);
    kwa_writer_init(&w, 0);
    kwa_writer_number(&w, -0.0);
    check_take(&w, want);
    CHECK_STR(want, "-0");
    free(want);
    cJSON_Delete(item);
    UNIT_CASE("NaN and infinities print as null");
    kwa_writer_init(&w, 0);
    kwa_writer_array(&w);
    kwa_writer_number(&w, NAN);
    kwa_writer_number(&w, INFINITY);
    kwa_writer_number(&w, -INFINITY);
    kwa_writer_end(&w);
    check_take(&w, "[null,null,null]");
}

/* ---- structure ---- */

static void test_structure(void)
{
    static const char *const list[] = {"+919000000001", "919000000002", "a\"b"};
    kwa_writer_t w;
    unsigned i;

    UNIT_CASE("members, commas, arrays, bools");
    kwa_writer_init(&w, 0);
    kwa_writer_object(&w);
    KWA_WSTR(&w, "a", "x");
    KWA_WKEY(&w, "b");
    kwa_writer_array(&w);
    kwa_writer_bool(&w, 1);
    kwa_writer_bool(&w, 0);
    kwa_writer_object(&w);
    kwa_writer_end(&w);
    kwa_writer_array(&w);
    kwa_writer_end(&w);
    kwa_writer_number(&w, 7);
    kwa_writer_end(&w);
    KWA_WPAIR(&w, "type", "text");
    kwa_writer_key(&w, "needs \"escaping\"\n");
    kwa_writer_string(&w, "");
    kwa_writer_end(&w);
    check_take(&w, "{\"a\":\"x\",\"b\":[true,false,{},[],7],\"type\":\"text\","
                   "\"needs \\\"escaping\\\"\\n\":\"\"}");

    UNIT_CASE("joined strings");
    kwa_writer_init(&w, 0);
    kwa_writer_array(&w);
    kwa_writer_joined(&w, list, 3, ',');
    kwa_writer_joined(&w, list, 1, ',');
    kwa_writer_joined(&w, list, 0, ',');
    kwa_writer_end(&w);
    check_take(&w, "[\"+919000000001,919000000002,a\\\"b\",\"+919000000001\",\"\"]");

    UNIT_CASE("nesting to KWA_MAX_DEPTH");
    kwa_writer_init(&w, 0);
    for (i = 0; i < KWA_MAX_DEPTH; i++)
        (i % 2 ? kwa_writer_object : kwa_writer_array)(&w);
    CHECK_INT(w.depth, KWA_MAX_DEPTH);
    CHECK_INT(w.error, KWA_WRITER_OK);
    kwa_writer_close_to(&w, 0);
    {
        char want[2 * KWA_MAX_DEPTH + 1];
        for (i = 0; i < KWA_MAX_DEPTH; i++) {
            want[i] = i % 2 ? '{' : '[';
            want[2 * KWA_MAX_DEPTH - 1 - i] = i % 2 ? '}' : ']';
        }
        want[2 * KWA_MAX_DEPTH] = '\0';
        check_take(&w, want);
    }

    UNIT_CASE("one level past KWA_MAX_DEPTH");
    kwa_writer_init(&w, 0);
    for (i = 0; i <= KWA_MAX_DEPTH; i++)
        kwa_writer_array(&w);
    CHECK_INT(w.error, KWA_WRITER_DEPTH);
    check_take(&w, NULL);

    UNIT_CASE("a container left open");
    kwa_writer_init(&w, 0);
    kwa_writer_object(&w);
    check_take(&w, NULL);
    CHECK_INT(w.error, KWA_WRITER_DEPTH);

    UNIT_CASE("an end with nothing open");
    kwa_writer_init(&w, 0);
    kwa_writer_bool(&w, 1);
    kwa_writer_end(&w);
    CHECK_INT(w.error, KWA_WRITER_DEPTH);
    check_take(&w, NULL);

    UNIT_CASE("raw text (a form)");
    kwa_writer_init(&w, 0);
    kwa_writer_raw(&w, "a=1&b=", 6);
    kwa_writer_raw(&w, "%2C", 3);
    check_take(&w, "a=1&b=%2C");

    UNIT_CASE("take then free is idempotent");
    kwa_writer_init(&w, 0);
    kwa_writer_bool(&w, 1);
    check_take(&w, "true");
    kwa_writer_free(&w);
    CHECK_NULL(w.buf);
}

/* ---- growth and the limit ---- */

static void test_growth(void)
{
    size_t n, i;
    char *s = unit_repeat("ab\"\x01\xC3\xA9z", 5000), *big, *want;
    cJSON *item, *arr;
    kwa_writer_t w;

    UNIT_CASE("growth from the smallest start");
    item = cJSON_CreateString(s);
    want = cjson_text(item);
    kwa_writer_init(&w, 1);
    kwa_writer_string(&w, s);
    check_take(&w, want);
    free(want);
    cJSON_Delete(item);
    free(s);

    UNIT_CASE("many members past the estimate");
    arr = cJSON_CreateArray();
    kwa_writer_init(&w, 8);
    kwa_writer_array(&w);
    for (i = 0; i < 2000; i++) {
        cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)i / 7));
        kwa_writer_number(&w, (double)i / 7);
    }
    kwa_writer_end(&w);
    want = cjson_text(arr);
    check_take(&w, want);
    free(want);

    UNIT_CASE("a passthrough tree larger than the room left");
    kwa_writer_init(&w, 16);
    kwa_writer_json(&w, arr);
    want = cjson_text(arr);
    check_take(&w, want);
    free(want);
    cJSON_Delete(arr);

    UNIT_CASE("a body of exactly KWA_MAX_REQUEST bytes");
    n = KWA_MAX_REQUEST - 2; /* the quotes make it KWA_MAX_REQUEST */
    big = malloc(n + 1);
    if (big == NULL)
        exit(2);
    memset(big, 'x', n);
    big[n] = '\0';
    kwa_writer_init(&w, 64);
    kwa_writer_string(&w, big);
    {
        size_t len = 0;
        char *got = kwa_writer_take(&w, &len);
        CHECK_NOT_NULL(got);
        CHECK_INT(len, KWA_MAX_REQUEST);
        free(got);
    }

    UNIT_CASE("one byte more is too long");
    big[n - 1] = '\0';
    kwa_writer_init(&w, 64);
    kwa_writer_string(&w, big);
    kwa_writer_raw(&w, "yy", 2);
    CHECK_INT(w.error, KWA_WRITER_OK); /* the slack holds it ... */
    check_take(&w, NULL);              /* ... and take refuses it */
    CHECK_INT(w.error, KWA_WRITER_TOO_LONG);

    UNIT_CASE("a string far past the limit stops early");
    free(big);
    big = unit_repeat("\x01", KWA_MAX_REQUEST / 2); /* 6 bytes each escaped */
    kwa_writer_init(&w, 64);
    kwa_writer_string(&w, big);
    CHECK_INT(w.error, KWA_WRITER_TOO_LONG);
    CHECK(w.cap <= KWA_WRITER_LIMIT);
    check_take(&w, NULL);

    UNIT_CASE("a passthrough tree past the limit");
    item = cJSON_CreateString(big);
    kwa_writer_init(&w, 64);
    kwa_writer_array(&w);
    kwa_writer_json(&w, item);
    kwa_writer_end(&w);
    CHECK_INT(w.error, KWA_WRITER_TOO_LONG);
    check_take(&w, NULL);
    cJSON_Delete(item);
    free(big);
}

/* ---- passthrough ---- */

static void test_passthrough(void)
{
    cJSON *tree = cJSON_Parse("{\"flow_id\":\"123\",\"data\":{\"a\":[1,2.5,\"x\\n\",null,true]},"
                              "\"e\":{},\"l\":[]}");
    cJSON *empty = cJSON_CreateObject(), *copy;
    char *want;
    kwa_writer_t w;

    UNIT_CASE("a tree under a key");
    kwa_writer_init(&w, 0);
    kwa_writer_object(&w);
    KWA_WKEY(&w, "p");
    kwa_writer_json(&w, tree);
    KWA_WKEY(&w, "after");
    kwa_writer_bool(&w, 0);
    kwa_writer_end(&w);
    {
        cJSON *whole = cJSON_CreateObject();
        cJSON_AddItemToObject(whole, "p", cJSON_Duplicate(tree, 1));
        cJSON_AddFalseToObject(whole, "after");
        want = cjson_text(whole);
        check_take(&w, want);
        free(want);
        cJSON_Delete(whole);
    }

    UNIT_CASE("an object left open for more members");
    kwa_writer_init(&w, 0);
    kwa_writer_json_open(&w, tree);
    KWA_WPAIR(&w, "flow_message_version", "3");
    kwa_writer_end(&w);
    copy = cJSON_Duplicate(tree, 1);
    cJSON_AddStringToObject(copy, "flow_message_version", "3");
    want = cjson_text(copy);
    check_take(&w, want);
    free(want);
    cJSON_Delete(copy);

    UNIT_CASE("an empty object left open");
    kwa_writer_init(&w, 0);
    kwa_writer_json_open(&w, empty);
    KWA_WPAIR(&w, "a", "b");
    kwa_writer_end(&w);
    check_take(&w, "{\"a\":\"b\"}");
    kwa_writer_init(&w, 0);
    kwa_writer_json_open(&w, empty);
    kwa_writer_end(&w);
    check_take(&w, "{}");

    UNIT_CASE("json_open of a non-object fails");
    kwa_writer_init(&w, 0);
    kwa_writer_json_open(&w, cJSON_GetObjectItem(tree, "l"));
    CHECK_INT(w.error, KWA_WRITER_JSON);
    check_take(&w, NULL);

    UNIT_CASE("a NULL tree fails");
    kwa_writer_init(&w, 0);
    kwa_writer_json(&w, NULL);
    CHECK_INT(w.error, KWA_WRITER_JSON);
    check_take(&w, NULL);

    UNIT_CASE("a NULL string fails");
    kwa_writer_init(&w, 0);
    kwa_writer_array(&w);
    kwa_writer_string(&w, NULL);
    kwa_writer_end(&w);
    CHECK_INT(w.error, KWA_WRITER_JSON);
    check_take(&w, NULL);

    cJSON_Delete(tree);
    cJSON_Delete(empty);
}

/* ---- the failed state ---- */

static void test_failed(void)
{
    kwa_writer_t w;
    cJSON *item = cJSON_CreateString("x");

    UNIT_CASE("a writer whose allocation failed");
    memset(&w, 0, sizeof w);
    w.error = KWA_WRITER_NOMEM; /* what kwa_writer_init leaves then */
    kwa_writer_object(&w);
    KWA_WSTR(&w, "k", "v");
    kwa_writer_number(&w, 1.5);
    kwa_writer_bool(&w, 1);
    kwa_writer_json(&w, item);
    kwa_writer_string(&w, "long enough to need more room than none");
    kwa_writer_raw(&w, "x", 1);
    kwa_writer_end(&w);
    CHECK_NULL(w.buf);
    CHECK_INT(w.len, 0);
    CHECK_INT(w.error, KWA_WRITER_NOMEM);
    check_take(&w, NULL);
    cJSON_Delete(item);

    UNIT_CASE("the first failure is kept");
    kwa_writer_init(&w, 0);
    kwa_writer_string(&w, "\xFF");
    kwa_writer_end(&w);
    CHECK_INT(w.error, KWA_WRITER_UTF8);
    check_take(&w, NULL);
}

/* ---- differential: generated trees ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A valid UTF-8 string of plain text, escapes and multi-byte characters. */
static void gen_string(char *s, size_t cap)
{
    static const char *const pieces[] = {
        "a", "bc", "Hello ", "12345678", "\"", "\\", "\n", "\t", "\x01", "\x1F", "\x7F", "/",
        "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xDF\xBF", " ", "{}[]:,",
    };
    size_t len = 0, n = rng() % 12, i, k;

    for (i = 0; i < n; i++) {
        const char *p = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
        k = strlen(p);
        if (len + k >= cap)
            break;
        memcpy(s + len, p, k);
        len += k;
    }
    s[len] = '\0';
}

static double gen_number(void)
{
    uint64_t bits;
    double d;

    switch (rng() % 5) {
    case 0:
        return rng() % 50 == 0 ? -0.0 : (double)(int64_t)(rng() % 2000001) - 1000000;
    case 1:
        return (double)(int64_t)rng() / 1000.0;
    case 2:
        return (double)(rng() % 100000) / (double)(1 + rng() % 1000);
    case 3:
        return ldexp((double)(rng() % 1000000), (int)(rng() % 200) - 100);
    default:
        bits = rng();
        memcpy(&d, &bits, sizeof d);
        return isfinite(d) ? d : 0.5;
    }
}

static cJSON *gen_tree(int depth)
{
    char s[128], key[64];
    cJSON *item;
    int i, n;

    switch (depth > 5 ? rng() % 5 : rng() % 7) {
    case 0:
        gen_string(s, sizeof s);
        return cJSON_CreateString(s);
    case 1:
        return cJSON_CreateNumber(gen_number());
    case 2:
        return cJSON_CreateBool(rng() % 2);
    case 3:
        return cJSON_CreateNull();
    case 4:
        return cJSON_CreateString("");
    case 5:
        item = cJSON_CreateObject();
        n = (int)(rng() % 5);
        for (i = 0; i < n; i++) {
            gen_string(key, sizeof key);
            cJSON_AddItemToObject(item, key, gen_tree(depth + 1));
        }
        return item;
    default:
        item = cJSON_CreateArray();
        n = (int)(rng() % 5);
        for (i = 0; i < n; i++)
            cJSON_AddItemToArray(item, gen_tree(depth + 1));
        return item;
    }
}

/* Writes item with the writer's own calls, passing some subtrees (and
 * every null) through to cJSON. */
static void write_tree(kwa_writer_t *w, const cJSON *item)
{
    const cJSON *c;

    if (rng() % 6 == 0 || cJSON_IsNull(item)) {
        kwa_writer_json(w, item);
        return;
    }
    if (cJSON_IsObject(item)) {
        if (rng() % 4 == 0 && item->child != NULL) { /* open it passed through, add nothing */
            kwa_writer_json_open(w, item);
            kwa_writer_end(w);
            return;
        }
        kwa_writer_object(w);
        cJSON_ArrayForEach(c, item) {
            kwa_writer_key(w, c->string);
            write_tree(w, c);
        }
        kwa_writer_end(w);
    } else if (cJSON_IsArray(item)) {
        kwa_writer_array(w);
        cJSON_ArrayForEach(c, item)
            write_tree(w, c);
        kwa_writer_end(w);
    } else if (cJSON_IsString(item)) {
        kwa_writer_string(w, item->valuestring);
    } else if (cJSON_IsNumber(item)) {
        kwa_writer_number(w, item->valuedouble);
    } else {
        kwa_writer_bool(w, cJSON_IsTrue(item));
    }
}

static void test_differential(void)
{
    char name[48];
    int i, failed = 0;

    for (i = 0; i < 3000; i++) {
        cJSON *tree = gen_tree(0);
        char *want = cjson_text(tree), *got;
        kwa_writer_t w;
        size_t len = 0;

        snprintf(name, sizeof name, "generated tree %d", i);
        UNIT_CASE(name);
        kwa_writer_init(&w, rng() % 300);
        write_tree(&w, tree);
        got = kwa_writer_take(&w, &len);
        if (got == NULL || strcmp(got, want) != 0 || len != strlen(want)) {
            if (failed++ < 5) /* a few in full, then only the count */
                UNIT_REPORT(0, "got %s\nwant %s", got ? got : "(null)", want);
        }
        free(got);
        free(want);
        cJSON_Delete(tree);
    }
    UNIT_CASE("generated trees");
    CHECK_INT(failed, 0);
}

int main(void)
{
    test_strings();
    test_invalid_utf8();
    test_numbers();
    test_structure();
    test_growth();
    test_passthrough();
    test_failed();
    test_differential();
    UNIT_DONE();
}
