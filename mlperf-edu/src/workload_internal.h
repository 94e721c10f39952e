/* workload_internal.h - the workload object shared by workload_lenet.c (LeNet-5, the queue, the
 * public accessors) and workload_gpt.c (the character GPT). Not part of the public API. */
#ifndef MLE_WORKLOAD_INTERNAL_H
#define MLE_WORKLOAD_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "mlperf_edu/workload.h"
#include "tinytorch/data.h"
#include "tinytorch/nn.h"
#include "tinytorch/quant.h"

struct tt_gpt;
struct tt_kv_cache;

struct mle_workload {
    mle_sut sut;
    mle_qsl qsl;
    tt_layer *model;
    tt_qmodel *qmodel;            /* lenet5-int8: the int8 model the SUT runs (model stays the fp32 reference) */
    float *xbuf, *ybuf;           /* int8 path: [max_batch, 784] input, [max_batch, 10] logits */
    int xcap;
    int64_t params;
    size_t param_bytes;
    tt_dataset *test;
    float **staged;               /* [test->len]: staged image or NULL */
    /* request queue */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    mle_sample *q;
    size_t q_head, q_len, q_cap;  /* ring buffer */
    mle_run *run;
    bool stop;
    pthread_t worker;
    bool worker_started;
    int max_batch;
    double ref_accuracy;          /* NaN until computed */
    char checkpoint[1200];
    char data_dir[1024];
    char model_desc[160];
    /* gpt-char (workload_gpt.c) */
    bool is_gpt;
    struct tt_gpt *gpt;
    struct tt_kv_cache *cache;
    int32_t **prompts;            /* [n_prompts][prompt_len[i]] token ids */
    int64_t *prompt_len;
    int32_t **answers;            /* the corpus's answer after each prompt (first n_new ids) */
    int64_t *answer_len;
    int64_t n_prompts, n_new;
};

/* workload_gpt.c: loads the checkpoint and the prompts into w (w->qsl/sut set by the caller). */
int mle_gpt_open(mle_workload *w, const mle_workload_opts *o, char *err, size_t errlen);
void *mle_gpt_worker(void *arg);
int mle_gpt_score(mle_workload *w, const mle_result *r, double *accuracy, char *err, size_t errlen);
double mle_gpt_reference(mle_workload *w);
void mle_gpt_free(mle_workload *w);

#endif
