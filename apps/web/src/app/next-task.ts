/**
 * Resolves in a new task, once the browser has had the chance to paint and to answer input: what the caller does
 * next is not part of the task that called it. A long task is where a tap has to wait (Lighthouse counts each
 * task's time past 50 ms as blocking, issue 21).
 */
export const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
