package io.fairlane.gateway.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Captures what some loggers log during a test (at INFO and above, whatever logback-test.xml says), and puts
 * them back as they were when closed.
 */
public final class LogCapture implements AutoCloseable {

    private final List<Logger> loggers;
    private final List<Level> levels;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public LogCapture(String... names) {
        appender.start();
        loggers = java.util.Arrays.stream(names).map(n -> (Logger) LoggerFactory.getLogger(n)).toList();
        levels = loggers.stream().map(Logger::getLevel).toList();
        for (Logger l : loggers) {
            l.setLevel(Level.INFO);
            l.addAppender(appender);
        }
    }

    /** Everything captured so far. */
    public List<ILoggingEvent> events() {
        synchronized (appender) {
            return List.copyOf(appender.list);
        }
    }

    /** The formatted messages captured so far. */
    public List<String> messages() {
        return events().stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Override
    public void close() {
        for (int i = 0; i < loggers.size(); i++) {
            loggers.get(i).detachAppender(appender);
            loggers.get(i).setLevel(levels.get(i));
        }
        appender.stop();
    }
}
