"""Ceiling study for the topic classifier: independent scikit-learn baselines on the same data and folds.

Not part of the build. Run from this folder after `pip install scikit-learn jieba`:
    python3 study.py [experiment ...]      # default: all; see EXPERIMENTS below
Data is read from ../shared/data beside the project root (override with CIVICMESH_DATA).
Folds: 5-fold stratified, messages with the same subject (whitespace removed) kept in one fold,
as in `civicmesh classify cv`. Figures are printed; docs/classifier.md records one run.
"""
import csv, os, re, sys, time
import numpy as np, scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer, CountVectorizer
from sklearn.svm import LinearSVC, SVC
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.decomposition import TruncatedSVD
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.preprocessing import normalize

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
DATA = os.environ.get('CIVICMESH_DATA', os.path.join(ROOT, '..', 'shared', 'data'))
load = lambda name: list(csv.DictReader(open(os.path.join(DATA, name), encoding='utf-8')))
norm = lambda t: re.sub(r'[0-9０-９]+', '0', t).lower()  # digits are one symbol, as in NGramExtractor

labelled = load('messages_labelled.csv')
unlabelled = load('messages_hot.csv') + load('messages_replies.csv') + load('messages_unlabelled_test.csv')
S = [norm(r['subject']) for r in labelled]; B = [norm(r['detail']) for r in labelled]
US = [norm(r['subject']) for r in unlabelled]; UB = [norm(r.get('detail', '')) for r in unlabelled]
y = np.array([r['category'] for r in labelled]); LABELS = np.array(sorted(set(y)))
has_detail = np.array([len(b) > 0 for b in B])

def folds(k=5, seed=42):
    ids = {}
    groups = np.array([ids.setdefault(re.sub(r'\s', '', r['subject']), len(ids)) for r in labelled])
    return list(StratifiedGroupKFold(k, shuffle=True, random_state=seed).split(S, y, groups))

def char_blocks():
    """Subject, detail and shared (subject+detail) char 1–3-gram TF-IDF blocks, weights 1 / 0.3 / 1.5."""
    blocks, unl = [], []
    for texts, utexts, w in [(S, US, 1.0), (B, UB, 0.3), ([a + ' ' + b for a, b in zip(S, B)], [a + ' ' + b for a, b in zip(US, UB)], 1.5)]:
        v = TfidfVectorizer(analyzer='char', ngram_range=(1, 3), sublinear_tf=True, min_df=2).fit(texts + utexts)
        blocks.append(v.transform(texts) * w); unl.append(v.transform(utexts) * w)
    return sp.hstack(blocks).tocsr(), sp.hstack(unl).tocsr()

def scores(make, X, F):
    P = np.zeros((len(y), len(LABELS)))
    for tr, te in F:
        P[te] = make().fit(X[tr], y[tr]).decision_function(X[te])
    return P

def softmax(P, t=3.0):
    Z = P / P.std() * t; Z -= Z.max(1, keepdims=True); E = np.exp(Z); return E / E.sum(1, keepdims=True)

def report(name, P):
    pred = LABELS[P.argmax(1)]
    Q = softmax(P); s = np.sort(Q, 1); margin = np.log(s[:, -1]) - np.log(s[:, -2])
    order = np.argsort(-margin); ok = (pred == y)[order]
    precision = ok.cumsum() / np.arange(1, len(y) + 1)
    coverage = (np.where(precision >= 0.97)[0].max() + 1) / len(y)  # oracle threshold: an upper bound
    print(f'{name:40s} macro-F1 {f1_score(y, pred, average="macro"):.4f}  acc {np.mean(pred == y):.4f}  '
          f'title-only acc {np.mean(pred[~has_detail] == y[~has_detail]):.4f}  coverage@97% {coverage:.3f}', flush=True)

def main(selected):
    X, U = char_blocks(); F = folds()
    svm = scores(lambda: LinearSVC(C=0.5), X, F)
    EXPERIMENTS = {
        'svm': lambda: report('char TF-IDF + linear SVM', svm),
        'learning-curve': lambda: [report(f'linear SVM, {k}-fold (train {100 - 100 // k}%)', scores(lambda: LinearSVC(C=0.5), X, folds(k))) for k in (3, 10)],
        'ridge': lambda: report('ridge classifier', scores(lambda: RidgeClassifier(alpha=1.0), X, F)),
        'logistic': lambda: report('multinomial logistic regression C=20', scores(lambda: LogisticRegression(C=20, max_iter=300), X, F)),
        'lsa': lambda: lsa(X, U, F),
        'rbf': lambda: rbf(X, U, F, svm),
        'words': lambda: words(X, F),
        'knn': lambda: knn(X, F, svm),
    }
    for name in selected or EXPERIMENTS:
        t = time.time(); EXPERIMENTS[name](); print(f'  ({name}: {time.time() - t:.0f} s)', flush=True)

def lsa(X, U, F):
    Z = normalize(TruncatedSVD(200, random_state=0).fit(sp.vstack([X, U])).transform(X))
    for w in (0.5, 1.0):
        report(f'char + LSA-200 (unlabelled text) w{w}', scores(lambda: LinearSVC(C=0.5), sp.hstack([X, sp.csr_matrix(Z * w)]).tocsr(), F))

def rbf(X, U, F, svm):
    Z = normalize(TruncatedSVD(300, random_state=0).fit(sp.vstack([X, U])).transform(X))
    P = scores(lambda: SVC(C=10, gamma=1.0), Z, F)
    report('LSA-300 → RBF SVM', P)
    report('linear SVM + 0.5 × RBF SVM', svm / svm.std() + 0.5 * P / P.std())

def words(X, F):
    import jieba; jieba.setLogLevel(60)
    seg = lambda t: ' '.join(jieba.lcut(t))
    SS, BB, USS, UBB = [seg(t) for t in S], [seg(t) for t in B], [seg(t) for t in US], [seg(t) for t in UB]
    blocks = []
    for texts, utexts in [(SS, USS), ([a + ' ' + b for a, b in zip(SS, BB)], [a + ' ' + b for a, b in zip(USS, UBB)])]:
        v = TfidfVectorizer(analyzer='word', token_pattern=r'\S+', ngram_range=(1, 2), sublinear_tf=True, min_df=2).fit(texts + utexts)
        blocks.append(v.transform(texts))
    W = sp.hstack(blocks).tocsr()
    report('jieba words 1–2 + linear SVM', scores(lambda: LinearSVC(C=0.5), W, F))
    report('char + jieba words', scores(lambda: LinearSVC(C=0.5), sp.hstack([X, W]).tocsr(), F))

def knn(X, F, svm):
    Xn = normalize(X); Y = np.stack([(y == l).astype(float) for l in LABELS], 1); K = np.zeros_like(svm)
    for tr, te in F:
        sim = (Xn[te] @ Xn[tr].T).toarray(); idx = np.argpartition(-sim, 15, axis=1)[:, :15]
        K[te] = np.einsum('ik,ikc->ic', np.take_along_axis(sim, idx, 1) ** 3, Y[tr][idx])
    K /= K.sum(1, keepdims=True) + 1e-9
    report('kNN-15 (cosine)', K)
    report('linear SVM + 0.3 × kNN', softmax(svm) + 0.3 * K)

if __name__ == '__main__':
    main(sys.argv[1:])
