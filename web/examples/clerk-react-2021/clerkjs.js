// Seed 004's ClerkJS tabs, each verbatim, wrapped in an exported function (the guide's code is a top-level script).
// Where the guide loads clerk.js, the test sets `window.Clerk = createClerk(...)` (from @trustgate/js/legacy).
// Run by ../seed004.test.tsx.

// "Custom flow", ClerkJS tab.
export async function run() {
const { client } = window.Clerk;

// Sign the user in with the required first 
// factor strategy. In this case it's email 
// and password.
const signIn = await client.signIn.create({
    identifier: "user@example.com",
    password: "**********",
});

// Prepare the second factor verification by 
// specifying the phone code strategy. An SMS 
// message with a one-time code will be sent 
// to the user's verified phone number.
await signIn.prepareSecondFactor({
    strategy: "phone_code",
});

// Attempt to complete the second factor 
// verification, passing the previously 
// received one-time code.
await signIn.attemptSecondFactor({
    strategy: "phone_code",
    code: "123456",
});
}

// "Using Clerk Hosted Pages", Clerk.js tab (in a browser, the first call already leaves the page).
export function hostedPages() {
// Calling the redirectToSignUp method will
// cause the browser to navigate to the Sign In URL
// and show the hosted Sign Up page
window.Clerk.redirectToSignUp();

// Calling the redirectToSignIn method will
// cause the browser to navigate to the Sign In URL
// and show the hosted Sign In page
window.Clerk.redirectToSignIn();
}

// "Using Clerk Components", ClerkJS tab: the page's script (its body has <div id="sign-in"></div>; in a browser,
// the first call already leaves the page).
export function components() {
        // Mount the pre-built Clerk SignIn component
        // in an HTMLElement on your page. 
        const el = document.getElementById("sign-in");
        window.Clerk.mountSignIn(el);
        
        // Render the SignIn component as a
        // modal on the page.
        window.Clerk.openSignIn();
}
