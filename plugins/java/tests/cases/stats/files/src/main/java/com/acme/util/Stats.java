package com.acme.util;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.annotation.Nonnull;

public final class Stats {
    private static final int SMALL = 16;

    private Stats() {
    }

    /** The lower median of the values; the list itself is not modified. */
    @Nonnull
    public static <T extends Comparable<? super T>> T median(@Nonnull List<T> values) throws IllegalArgumentException {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("empty");
        }
        List<T> copy = new ArrayList<>(values);
        Collections.sort(copy);
        return copy.get((copy.size() - 1) / 2);
    }

    public static double median(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("empty");
        }
        List<Double> boxed = new ArrayList<>();
        for (double v : values) {
            boxed.add(v);
        }
        Collections.sort(boxed);
        int mid = boxed.size() / 2;
        return boxed.size() % 2 == 1 ? boxed.get(mid) : (boxed.get(mid - 1) + boxed.get(mid)) / 2.0;
    }

    @SuppressWarnings("unchecked")
    public static <K, V extends Number> Map<K, Double> sumBy(List<V> values, Function<V, K> key) {
        Map<K, Double> sums = new HashMap<>();
        for (V value : values) {
            sums.merge(key.apply(value), value.doubleValue(), Double::sum);
        }
        return sums;
    }
}
