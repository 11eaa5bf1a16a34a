// A small C++ translation unit for the live-heap test (test/live-heap.test.ts): templates, no header,
// compiled at -O1, so that valgrind DHAT (slow on clang: it loads libLLVM) runs it in seconds.
template <typename T, int N> struct Ring {
  T items[N];
  int head = 0;
  void put(T v) { items[head++ % N] = v; }
  T sum() const {
    T s{};
    for (int i = 0; i < N; i++) s += items[i];
    return s;
  }
};
template <int K> int unroll(int x) { return unroll<K - 1>(x * 3 + K); }
template <> int unroll<0>(int x) { return x; }
int run(int n) {
  Ring<int, 64> a;
  Ring<double, 32> b;
  for (int i = 0; i < n; i++) {
    a.put(unroll<120>(i));
    b.put(i * 0.5);
  }
  return a.sum() + static_cast<int>(b.sum());
}
