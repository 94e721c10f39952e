/* tinytorch.h - the whole public API in one include, for programs that use the framework:
 * tensors and autograd, layers and losses, data, optimizers and schedulers, training, checkpoints,
 * convolutions, tokenizers and transformers. */
#ifndef TINYTORCH_TINYTORCH_H
#define TINYTORCH_TINYTORCH_H

#include "tinytorch/tensor.h"
#include "tinytorch/autograd.h"
#include "tinytorch/nn.h"
#include "tinytorch/data.h"
#include "tinytorch/optim.h"
#include "tinytorch/train.h"
#include "tinytorch/checkpoint.h"
#include "tinytorch/conv.h"
#include "tinytorch/tokenizer.h"
#include "tinytorch/embedding.h"
#include "tinytorch/attention.h"
#include "tinytorch/transformer.h"
#include "tinytorch/gemm.h"
#include "tinytorch/amp.h"

#endif
