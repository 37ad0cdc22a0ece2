"use client";

import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useRef, useState } from "react";

import { Alert, Button, TextField } from "@/components/ui";
import { api, ApiError, type ErrorDetails } from "@/lib/api";
import { useSignedIn } from "@/lib/session";

type Mode = "signin" | "register";

const NO_ERRORS: ErrorDetails = { general: null, fields: {}, code: null };

function errorsOf(caught: unknown): ErrorDetails {
  if (caught instanceof ApiError) return caught.details;
  return { ...NO_ERRORS, general: "Something went wrong. Please try again." };
}

interface FormProps {
  email: string;
  onEmailChange: (email: string) => void;
  onSwitch: (mode: Mode) => void;
  /** Focus the first field when the form appears (after the visitor switched forms, not on page load). */
  focusFirstField: boolean;
}

function useFocusOnMount(enabled: boolean) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (enabled) ref.current?.focus();
  }, [enabled]);
  return ref;
}

function SignInForm({ email, onEmailChange, onSwitch, focusFirstField }: FormProps) {
  const firstField = useFocusOnMount(focusFirstField);
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<ErrorDetails>(NO_ERRORS);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      // Storing the tokens flips useSignedIn(), and AuthForms moves on to /files.
      await api.signIn(email, password);
    } catch (caught) {
      const wrongCredentials = caught instanceof ApiError && caught.status === 401;
      setErrors(wrongCredentials ? { ...NO_ERRORS, general: "Wrong email or password." } : errorsOf(caught));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" aria-labelledby="auth-title" data-testid="signin-form">
      <h2 id="auth-title" className="text-xl font-semibold text-slate-900">
        Sign in
      </h2>
      <TextField
        ref={firstField}
        id="signin-email"
        label="Email"
        type="email"
        autoComplete="email"
        required
        value={email}
        error={errors.fields.email}
        onChange={(event) => onEmailChange(event.target.value)}
        data-testid="signin-email"
      />
      <TextField
        id="signin-password"
        label="Password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        error={errors.fields.password}
        onChange={(event) => setPassword(event.target.value)}
        data-testid="signin-password"
      />
      {errors.general ? <Alert testId="signin-error">{errors.general}</Alert> : null}
      <Button type="submit" pending={busy} data-testid="signin-submit">
        {busy ? "Signing in…" : "Sign in"}
      </Button>
      <p className="flex flex-wrap items-center justify-center gap-x-1 text-sm text-slate-600">
        New here?
        <Button variant="link" onClick={() => onSwitch("register")} data-testid="show-register">
          Create an account
        </Button>
      </p>
    </form>
  );
}

function RegisterForm({ email, onEmailChange, onSwitch, focusFirstField }: FormProps) {
  const firstField = useFocusOnMount(focusFirstField);
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<ErrorDetails>(NO_ERRORS);
  const [emailTaken, setEmailTaken] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setErrors(NO_ERRORS);
    setEmailTaken(false);
    try {
      await api.register(email, password);
    } catch (caught) {
      // The API's one conflict on registration: the address has an account (see its schema).
      setEmailTaken(caught instanceof ApiError && caught.status === 409);
      setErrors(errorsOf(caught));
      setBusy(false);
      return;
    }
    try {
      // Signed in with the password just typed; AuthForms then moves on to /files.
      await api.signIn(email, password);
    } catch (caught) {
      const reason = errorsOf(caught).general ?? "";
      setErrors({ ...NO_ERRORS, general: `Your account is ready, but signing in failed. ${reason}`.trim() });
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" aria-labelledby="auth-title" data-testid="register-form">
      <h2 id="auth-title" className="text-xl font-semibold text-slate-900">
        Create an account
      </h2>
      <TextField
        ref={firstField}
        id="register-email"
        label="Email"
        type="email"
        autoComplete="email"
        required
        value={email}
        error={emailTaken ? "An account with this email already exists." : errors.fields.email}
        onChange={(event) => onEmailChange(event.target.value)}
        data-testid="register-email"
      />
      <TextField
        id="register-password"
        label="Password"
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        hint="At least 8 characters, not a common password."
        value={password}
        error={errors.fields.password}
        onChange={(event) => setPassword(event.target.value)}
        data-testid="register-password"
      />
      {errors.general && !emailTaken ? <Alert testId="register-error">{errors.general}</Alert> : null}
      <Button type="submit" pending={busy} data-testid="register-submit">
        {busy ? "Creating your account…" : "Create account"}
      </Button>
      <p className="flex flex-wrap items-center justify-center gap-x-1 text-sm text-slate-600">
        {emailTaken ? "Is it yours?" : "Already have an account?"}
        <Button variant="link" onClick={() => onSwitch("signin")} data-testid="show-signin">
          Sign in
        </Button>
      </p>
    </form>
  );
}

/** Holds the forms' place while the page finds out whether the visitor is signed in. */
function Placeholder() {
  return (
    <div aria-busy="true" className="flex min-h-96 items-center justify-center text-sm text-slate-600">
      <span data-testid="auth-loading">Loading…</span>
    </div>
  );
}

/**
 * Sign in, or switch to creating an account (which signs in too). Nothing shows until the page knows
 * the visitor is signed out: a signed-in one goes straight on to /files without seeing the forms.
 */
export function AuthForms() {
  const router = useRouter();
  const signedIn = useSignedIn();
  const [mode, setMode] = useState<Mode>("signin");
  const [switched, setSwitched] = useState(false);
  const [email, setEmail] = useState("");

  useEffect(() => {
    if (signedIn) router.replace("/files");
  }, [signedIn, router]);

  function switchTo(next: Mode) {
    setMode(next);
    setSwitched(true);
  }

  const form =
    signedIn !== false ? (
      <Placeholder />
    ) : mode === "signin" ? (
      <SignInForm key="signin" email={email} onEmailChange={setEmail} onSwitch={switchTo} focusFirstField={switched} />
    ) : (
      <RegisterForm key="register" email={email} onEmailChange={setEmail} onSwitch={switchTo} focusFirstField={switched} />
    );
  return <div className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm sm:p-8">{form}</div>;
}
