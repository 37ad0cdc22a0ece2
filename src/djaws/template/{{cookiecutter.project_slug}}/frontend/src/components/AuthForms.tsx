"use client";

import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useState } from "react";

import { Alert, Button, Card, TextField } from "@/components/ui";
import { api, ApiError } from "@/lib/api";
import { useSignedIn } from "@/lib/session";

function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : "Something went wrong. Please try again.";
}

function SignInForm({ email, onEmailChange }: { email: string; onEmailChange: (email: string) => void }) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Storing the tokens flips useSignedIn(), and AuthForms moves on to /files.
      await api.signIn(email, password);
    } catch (caught) {
      setError(caught instanceof ApiError && caught.status === 401 ? "Wrong email or password." : messageOf(caught));
      setBusy(false);
    }
  }

  return (
    <Card title="Sign in" description="Welcome back. Use the email you registered with.">
      <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Sign in">
        <TextField
          id="signin-email"
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
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
          onChange={(event) => setPassword(event.target.value)}
          data-testid="signin-password"
        />
        {error ? <Alert tone="error" testId="signin-error">{error}</Alert> : null}
        <Button type="submit" disabled={busy} data-testid="signin-submit">
          {busy ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </Card>
  );
}

function RegisterForm({ onRegistered }: { onRegistered: (email: string) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [registeredEmail, setRegisteredEmail] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setRegisteredEmail(null);
    try {
      const user = await api.register(email, password);
      setRegisteredEmail(user.email);
      setPassword("");
      onRegistered(user.email);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Create an account" description="New here? Register with an email and a password.">
      <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Create an account">
        <TextField
          id="register-email"
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          data-testid="register-email"
        />
        <TextField
          id="register-password"
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          data-testid="register-password"
        />
        {error ? <Alert tone="error" testId="register-error">{error}</Alert> : null}
        {registeredEmail ? (
          <Alert tone="success" testId="register-success">
            Account created for {registeredEmail}. Sign in to continue.
          </Alert>
        ) : null}
        <Button type="submit" variant="secondary" disabled={busy} data-testid="register-submit">
          {busy ? "Creating account…" : "Create account"}
        </Button>
      </form>
    </Card>
  );
}

/** The sign-in and registration forms; a signed-in visitor goes straight on to /files. */
export function AuthForms() {
  const router = useRouter();
  const signedIn = useSignedIn();
  const [signInEmail, setSignInEmail] = useState("");

  useEffect(() => {
    if (signedIn) router.replace("/files");
  }, [signedIn, router]);

  return (
    <div className="grid gap-6 md:grid-cols-2">
      <SignInForm email={signInEmail} onEmailChange={setSignInEmail} />
      <RegisterForm onRegistered={setSignInEmail} />
    </div>
  );
}
