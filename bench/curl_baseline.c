/*
 * curl-baseline: the yardstick for the run-engine benchmark. A bare libcurl multi
 * loop: N POSTs of a chat-completions-sized body to URL with C in flight, replies
 * discarded, no parsing, no files. Prints "requests=N seconds=S rate=R".
 *
 *   curl-baseline URL N C
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return sz * n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static const char body[] =
        "{\"model\":\"bench-model\",\"messages\":[{\"role\":\"system\",\"content\":\"Answer with one "
        "JSON object only, matching this JSON Schema: {\\\"type\\\":\\\"object\\\"}\"},{\"role\":"
        "\"user\",\"content\":\"Extract the name and the value from this text. The bench case "
        "number 1 has the value 1.\"}],\"temperature\":0,\"max_tokens\":1000}";
    const char *url;
    long total, conc, started = 0, done = 0, i;
    CURLM *m;
    CURL **easy;
    struct curl_slist *hdrs = NULL;
    double t0, secs;
    int running;
    if (argc != 4) {
        fprintf(stderr, "usage: curl-baseline URL N CONCURRENCY\n");
        return 2;
    }
    url = argv[1];
    total = strtol(argv[2], NULL, 10);
    conc = strtol(argv[3], NULL, 10);
    if (total < 1 || conc < 1)
        return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, conc + 4);
    easy = calloc((size_t)conc, sizeof(*easy));
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Authorization: Bearer bench");
    t0 = now_s();
    for (i = 0; i < conc && started < total; i++, started++) {
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_multi_add_handle(m, easy[i]);
    }
    while (done < total) {
        CURLMsg *msg;
        int left;
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            CURL *e;
            if (msg->msg != CURLMSG_DONE)
                continue;
            e = msg->easy_handle;
            if (msg->data.result != CURLE_OK) {
                fprintf(stderr, "curl-baseline: %s\n", curl_easy_strerror(msg->data.result));
                return 1;
            }
            done++;
            curl_multi_remove_handle(m, e);
            if (started < total) {
                started++;
                curl_multi_add_handle(m, e); /* same handle, same connection */
            }
        }
        if (done < total)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    secs = now_s() - t0;
    printf("requests=%ld seconds=%.3f rate=%.1f\n", total, secs, (double)total / secs);
    for (i = 0; i < conc; i++) {
        if (easy[i])
            curl_easy_cleanup(easy[i]);
    }
    free(easy);
    curl_slist_free_all(hdrs);
    curl_multi_cleanup(m);
    curl_global_cleanup();
    return 0;
}
