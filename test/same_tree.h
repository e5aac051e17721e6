/*
 * test/same_tree.h - one comparison of cJSON trees for the tests and the
 * fuzz harnesses that check the scanner against cJSON: two trees are the
 * same when they print the same. (cJSON_Compare is no help here: it finds
 * {"a":1,"a":2} unequal to itself, and 1e400 to itself.)
 */
#ifndef KWA_SAME_TREE_H
#define KWA_SAME_TREE_H

#include <string.h>

#include <cjson/cJSON.h>

static int same_tree(const cJSON *a, const cJSON *b)
{
    char *pa, *pb;
    int same;

    if (a == NULL || b == NULL)
        return a == b;
    pa = cJSON_PrintUnformatted(a);
    pb = cJSON_PrintUnformatted(b);
    same = pa != NULL && pb != NULL && strcmp(pa, pb) == 0;
    cJSON_free(pa);
    cJSON_free(pb);
    return same;
}

#endif /* KWA_SAME_TREE_H */
