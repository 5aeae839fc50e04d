# my losses homework -- all written by me
import numpy as numpy_lib


def sigmoid(x):
    # stable: never overflows
    return numpy_lib.exp(-numpy_lib.logaddexp(0.0, -x))


def lse_rows(scores):
    return numpy_lib.logaddexp.reduce(scores, axis=1)


def binary_cross_entropy_grad(logits, targets):
    '''gradient of BCE'''
    return (sigmoid(logits) - targets) / logits.shape[0]


def mse(y_pred, y_true):
    return numpy_lib.mean(((y_pred - y_true)) ** 2)


def softmax(z):
    '''probabilities per row'''
    return numpy_lib.exp(z - lse_rows(z)[:, None])


def mse_grad(y_pred, y_true):
    # derivative of mse
    return 2 * (y_pred - y_true) / y_pred.size



def cross_entropy(logits, labels):
    chosen = logits[numpy_lib.arange(logits.shape[0]), labels]   # logit of the right class
    return numpy_lib.mean(lse_rows(logits) - chosen)


def binary_cross_entropy(logits, targets):
    return numpy_lib.mean(numpy_lib.logaddexp(0.0, logits) - targets * logits)


def cross_entropy_grad(logits, labels):
    (rows, classes) = logits.shape
    one_hot = numpy_lib.eye(classes)[labels]
    return (softmax(logits) - one_hot) / rows
