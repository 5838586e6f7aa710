# Reference values of src/simulate/model/student_t.rs's test
# quantile_is_total_and_accurate_in_far_tails_and_large_df: the t quantile
# at Phi(z), by bisection on ln t of the CDF written with mpmath's betainc
# (60 digits). Run: python3 tests/data/student_t_reference.py (mpmath 1.3).
from mpmath import mp, mpf, betainc, ncdf, findroot, log, exp, sqrt
mp.dps = 60
def tq(df, z):
    df = mpf(df); z = mpf(z)
    q = ncdf(-abs(z))  # lower tail prob of -|t|
    a = df/2
    def f(lt):
        t = exp(lt)
        y = df/(df+t*t)
        return log(betainc(a, mpf(1)/2, 0, y, regularized=True)/2) - log(q)
    # initial from normal
    lt0 = log(abs(z)) if abs(z) > 0 else mpf(-30)
    lo, hi = mpf(-60), mpf(800)
    # bisection for robustness
    for _ in range(400):
        mid = (lo+hi)/2
        if f(mid) > 0: lo = mid   # cdf too large -> t too small
        else: hi = mid
    t = exp((lo+hi)/2)
    return t if z > 0 else -t
for df, z in [(999, -0.8157), (999, 22), (50, 28), (1e4, 28), (5, 28), (1, 30), (999, 8.5), (2000, 12)]:
    print(df, z, mp.nstr(tq(df, z), 17))
