// Seed 004, "Using Clerk Components", Clerk React tab: verbatim but for the import line
// (@clerk/clerk-react -> @trustgate/react/legacy). Run by ../seed004.test.tsx.
import { SignIn } from "@trustgate/react/legacy";

// SignInPage is your custom sign in page component.
function SignInPage() {
  return (
    // The Clerk SignIn component needs no special
    // configuration. 
    <SignIn />
  );
}

export default SignInPage;
