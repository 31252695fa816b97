package io.otfuse.testing;

/** Runs test code with a system property set, restoring its previous value (or its absence) afterwards. */
public final class SystemProperty {
    private SystemProperty() {}

    /** Code that may throw. */
    public interface Body {
        void run() throws Exception;
    }

    public static void with(String key, String value, Body body) throws Exception {
        String old = System.getProperty(key);
        System.setProperty(key, value);
        try {
            body.run();
        } finally {
            if (old == null) System.clearProperty(key);
            else System.setProperty(key, old);
        }
    }
}
