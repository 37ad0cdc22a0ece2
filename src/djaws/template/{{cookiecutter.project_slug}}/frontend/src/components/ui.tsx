import type { ButtonHTMLAttributes, InputHTMLAttributes, MouseEvent, ReactNode, Ref } from "react";

type ButtonVariant = "primary" | "secondary" | "danger" | "link";

const BUTTON_STYLES: Record<ButtonVariant, string> = {
  primary: "bg-indigo-600 px-4 text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-indigo-600",
  secondary:
    "bg-white px-4 text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus-visible:outline-indigo-600",
  danger: "bg-white px-4 text-red-700 ring-1 ring-inset ring-red-300 hover:bg-red-50 focus-visible:outline-red-700",
  link: "px-1 text-indigo-700 underline-offset-4 hover:underline focus-visible:outline-indigo-600",
};

// 44 px tall on phones (a comfortable tap target), 40 px with a pointer.
export const CONTROL_SIZE = "min-h-11 sm:min-h-10";
export const FOCUS_RING = "focus-visible:outline-2 focus-visible:outline-offset-2";

interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant;
  /**
   * Working on it: ignores clicks and says so to assistive technology, but stays focusable. (A disabled
   * button would drop the keyboard focus to the page body.)
   */
  pending?: boolean;
  ref?: Ref<HTMLButtonElement>;
}

export function Button({ variant = "primary", pending = false, className = "", onClick, ...props }: ButtonProps) {
  function click(event: MouseEvent<HTMLButtonElement>) {
    if (pending) event.preventDefault();
    else onClick?.(event);
  }
  return (
    <button
      type="button"
      aria-disabled={pending || undefined}
      aria-busy={pending || undefined}
      onClick={click}
      className={`inline-flex ${CONTROL_SIZE} min-w-11 items-center justify-center gap-2 rounded-lg text-sm font-semibold transition motion-reduce:transition-none ${FOCUS_RING} disabled:cursor-not-allowed disabled:opacity-60 aria-disabled:cursor-progress aria-disabled:opacity-80 ${BUTTON_STYLES[variant]} ${className}`}
      {...props}
    />
  );
}

interface TextFieldProps extends InputHTMLAttributes<HTMLInputElement> {
  id: string;
  label: string;
  /** A short rule shown under the label, e.g. the minimum password length. */
  hint?: string;
  /** The server's or the browser's complaint about this field, shown under it. */
  error?: string;
  ref?: Ref<HTMLInputElement>;
}

export function TextField({ id, label, hint, error, ...props }: TextFieldProps) {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ");
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={id} className="text-sm font-medium text-slate-800">
        {label}
      </label>
      <input
        id={id}
        name={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        className={`${CONTROL_SIZE} rounded-lg border bg-white px-3 text-base text-slate-900 shadow-sm placeholder:text-slate-500 focus:border-indigo-600 focus:outline-2 focus:outline-offset-1 focus:outline-indigo-600 sm:text-sm ${error ? "border-red-600" : "border-slate-400"}`}
        {...props}
      />
      {hint ? (
        <p id={hintId} className="text-sm text-slate-600">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} data-testid={`${id}-error`} className="text-sm text-red-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}

interface CardProps {
  title: string;
  description?: ReactNode;
  /** Shown at the right of the title, e.g. a status. */
  aside?: ReactNode;
  /** Lets the page move the keyboard focus to this card's heading. */
  headingRef?: Ref<HTMLHeadingElement>;
  testId?: string;
  children: ReactNode;
}

export function Card({ title, description, aside, headingRef, testId, children }: CardProps) {
  return (
    <section data-testid={testId} className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
      <div className="flex items-start justify-between gap-4">
        <div>
          <h2 ref={headingRef} tabIndex={headingRef ? -1 : undefined} className="text-lg font-semibold text-slate-900 focus:outline-none">
            {title}
          </h2>
          {description ? <div className="mt-1 text-sm text-slate-600">{description}</div> : null}
        </div>
        {aside}
      </div>
      <div className="mt-5">{children}</div>
    </section>
  );
}

export function Alert({ children, testId }: { children: ReactNode; testId: string }) {
  return (
    <p role="alert" data-testid={testId} className="rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
      {children}
    </p>
  );
}

/**
 * A polite live region that is always in the page (screen readers only announce changes to regions
 * that already exist); it shows the current notice, if any.
 */
export function Notice({ text, testId }: { text: string | null; testId: string }) {
  return (
    <div role="status" aria-live="polite" className="empty:hidden" data-testid={`${testId}-region`}>
      {text ? (
        <p data-testid={testId} className="rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
          {text}
        </p>
      ) : null}
    </div>
  );
}
